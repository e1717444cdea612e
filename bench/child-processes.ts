import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const children = new Set<ChildProcess>();

// Whatever happens to the bench, nothing it started outlives it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface Child {
  process: ChildProcess;
  pid: number;
  /** The last lines it wrote, for telling why it failed. */
  tail(): string;
  /** SIGTERM, then SIGKILL after the grace period; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface OutputOptions {
  /** Lines shown on stderr before the rest is only kept: a chatty child cannot drown the report. */
  echoLines?: number;
  onLine?: (line: string) => void;
}

/** Starts a process owned by the bench, keeping its last lines of output. */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions,
  { echoLines = 20, onLine }: OutputOptions = {},
): Child {
  const proc = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  children.add(proc);
  const lines: string[] = [];
  let echoed = 0;
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 50) lines.shift();
      onLine?.(line);
      if (echoed < echoLines) process.stderr.write(`  [${name}] ${line}\n`);
      else if (echoed === echoLines && echoLines > 0) process.stderr.write(`  [${name}] (further output not shown)\n`);
      echoed += 1;
    });
  }
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      children.delete(proc);
      resolve();
    }),
  );
  return {
    process: proc,
    pid: proc.pid,
    tail: () => lines.join('\n'),
    stop: async (graceMs = 15_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; fails if the child exits first. */
export async function waitForPort(port: number, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`exited with code ${child.process.exitCode}:\n${child.tail()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms:\n${child.tail()}`);
}

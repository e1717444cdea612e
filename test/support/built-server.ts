import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

/** The server as `npm run build` leaves it and `npm start` runs it. */
export const BUILT_SERVER = resolve(__dirname, '../../dist/server/apps/server/src/main.js');

export interface BuiltServer {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Everything it printed so far. */
  output(): string;
}

/** Starts the built server in a process of its own with exactly this environment (plus PATH and HOME). */
export function startBuiltServer(env: Record<string, string>): Promise<BuiltServer> {
  const child = spawn(process.execPath, [BUILT_SERVER], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
  });
  let output = '';
  return new Promise((resolveStarted, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving the console and API at (http:\/\/[\w.:-]+)/.exec(output);
      if (match) resolveStarted({ child, url: match[1], output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** SIGTERM, as a service manager stops it; the server re-raises the signal once it has shut down. */
export function stopBuiltServer(child: ChildProcessWithoutNullStreams): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? `exit ${child.exitCode}`);
  return new Promise((resolveExit) => {
    child.removeAllListeners('exit');
    child.on('exit', (code, signal) => resolveExit(signal ?? `exit ${code}`));
    child.kill('SIGTERM');
  });
}

import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startChild, waitForPort, type Child } from './child-processes';

export interface MosquittoBroker {
  child: Child;
  url: string;
  stop(): Promise<void>;
}

/**
 * A Mosquitto of the bench's own on a free loopback port. The machine's default configuration
 * drops QoS 1 messages queued for a slow subscriber (max_queued_messages 1000); the server is that
 * subscriber, so this one queues without limit (docs/mqtt-brokers.md).
 */
export async function startMosquitto(bin: string): Promise<MosquittoBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'ioc-bench-mosquitto-'));
  // Mosquitto started as root drops to its own user, which must still read the file.
  await chmod(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const child = startChild('mosquitto', bin, ['-c', conf], {});
  const stop = async () => {
    await child.stop(5000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`mosquitto (${bin}) did not start: ${(err as Error).message}`);
  }
  return { child, url: `mqtt://127.0.0.1:${port}`, stop };
}

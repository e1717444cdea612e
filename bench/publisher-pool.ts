import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PublisherCommand, PublisherCounters, PublisherReply, PublisherWorkerData } from './publisher-protocol';

type WithoutId<C> = C extends unknown ? Omit<C, 'id'> : never;
type Command = WithoutId<PublisherCommand>;

const REPLY_TIMEOUT_MS = 180_000;

/** Real MQTT devices spread over worker threads, so publishing does not share one event loop. */
export class PublisherPool {
  private readonly workers: { worker: Worker; devices: number; pending: Map<number, (r: PublisherReply) => void> }[] = [];
  private nextId = 1;

  constructor(
    url: string,
    devices: { id: string; password?: string }[],
    threads: number,
    keepaliveS = 60,
  ) {
    const count = Math.min(threads, devices.length);
    for (let t = 0; t < count; t++) {
      const share = devices.filter((_, i) => i % count === t);
      const data: PublisherWorkerData = { url, devices: share, keepaliveS, connectConcurrency: 100 };
      const worker = new Worker(join(__dirname, 'publisher.worker.js'), { workerData: data });
      const entry = { worker, devices: share.length, pending: new Map<number, (r: PublisherReply) => void>() };
      worker.on('message', (reply: PublisherReply) => {
        entry.pending.get(reply.id)?.(reply);
        entry.pending.delete(reply.id);
      });
      worker.on('error', (err) => {
        for (const resolve of entry.pending.values()) resolve({ id: 0, counters: emptyCounters(), error: err.message });
        entry.pending.clear();
      });
      this.workers.push(entry);
    }
  }

  get size(): number {
    return this.workers.reduce((n, w) => n + w.devices, 0);
  }

  /** Sends a command to every thread; resolves with the counters of all of them added up. */
  private async all(command: Command, perThread?: (devices: number) => Command): Promise<PublisherCounters> {
    const replies = await Promise.all(
      this.workers.map(
        (entry) =>
          new Promise<PublisherReply>((resolve, reject) => {
            const id = this.nextId++;
            const timer = setTimeout(() => reject(new Error(`publisher thread: no answer to ${command.kind}`)), REPLY_TIMEOUT_MS);
            entry.pending.set(id, (reply) => {
              clearTimeout(timer);
              resolve(reply);
            });
            entry.worker.postMessage({ ...(perThread ? perThread(entry.devices) : command), id } as PublisherCommand);
          }),
      ),
    );
    const failed = replies.find((r) => r.error);
    if (failed) throw new Error(`publisher thread: ${failed.error}`);
    return replies.map((r) => r.counters).reduce(addCounters, emptyCounters());
  }

  connect(): Promise<PublisherCounters> {
    return this.all({ kind: 'connect' });
  }

  /** Total messages per second, shared between the threads by their number of devices. */
  pace(rate: number): Promise<PublisherCounters> {
    const total = this.size;
    return this.all({ kind: 'pace', rate }, (devices) => ({ kind: 'pace', rate: (rate * devices) / total }));
  }

  flood(window: number): Promise<PublisherCounters> {
    return this.all({ kind: 'flood', window });
  }

  halt(): Promise<PublisherCounters> {
    return this.all({ kind: 'halt' });
  }

  snapshot(): Promise<PublisherCounters> {
    return this.all({ kind: 'snapshot' });
  }

  /** Disconnects every device and ends the threads. */
  async close(): Promise<PublisherCounters> {
    const counters = await this.all({ kind: 'close' }).catch(() => emptyCounters());
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    return counters;
  }
}

function emptyCounters(): PublisherCounters {
  return { sent: 0, acked: 0, failed: 0, skipped: 0, late: 0, connected: 0, disconnects: 0, connectFailures: 0, firstError: null };
}

function addCounters(a: PublisherCounters, b: PublisherCounters): PublisherCounters {
  return {
    sent: a.sent + b.sent,
    acked: a.acked + b.acked,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
    late: a.late + b.late,
    connected: a.connected + b.connected,
    disconnects: a.disconnects + b.disconnects,
    connectFailures: a.connectFailures + b.connectFailures,
    firstError: a.firstError ?? b.firstError,
  };
}

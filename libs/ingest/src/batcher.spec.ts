import { Batcher } from './batcher';

const settle = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('writes full batches at once and the rest on stop, in order', async () => {
    const writes: number[][] = [];
    const b = new Batcher<number>({ maxBatch: 3, flushMs: 60_000, maxQueued: 100, write: async (items) => void writes.push(items), log: () => {} });
    b.start();
    b.add([1, 2, 3, 4]);
    await settle();
    expect(writes).toEqual([[1, 2, 3]]);
    await b.stop();
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('keeps a failed batch and writes it again first', async () => {
    const writes: number[][] = [];
    let fail = true;
    const log: string[] = [];
    const b = new Batcher<number>({
      maxBatch: 2,
      flushMs: 60_000,
      maxQueued: 100,
      write: async (items) => {
        if (fail) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        writes.push(items);
      },
      log: (l) => log.push(l),
    });
    b.add([1, 2]);
    await settle();
    expect(log[0]).toMatch(/write of 2 items failed \(connection refused\)/);
    expect(b.pending).toBe(2);
    fail = false;
    b.add([3]);
    await b.stop();
    expect(writes.flat()).toEqual([1, 2, 3]);
  });

  it('drops a batch the database refuses for its content instead of retrying it forever', async () => {
    const writes: number[][] = [];
    const b = new Batcher<number>({
      maxBatch: 2,
      flushMs: 60_000,
      maxQueued: 100,
      write: async (items) => {
        if (items.includes(2)) throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
        writes.push(items);
      },
      log: () => {},
    });
    b.add([1, 2, 3]);
    await b.stop();
    expect(writes).toEqual([[3]]);
    expect(b.dropped).toBe(2);
  });

  it('drops the oldest items past the queue bound and counts them', () => {
    const b = new Batcher<number>({ maxBatch: 100, flushMs: 60_000, maxQueued: 3, write: async () => {}, log: () => {} });
    b.add([1, 2, 3, 4, 5]);
    expect(b.dropped).toBe(2);
    expect(b.pending).toBe(3);
  });
});

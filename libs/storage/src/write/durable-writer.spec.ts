import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableWriter, isTransient } from './durable-writer';
import { Spool } from './spool';
import { emptyBatch, type Newest, type WriteBatch } from './write-batch';

/**
 * A stand-in database that stores what it is given (a sample stored again is a no-op, as with
 * ON CONFLICT DO NOTHING), can be taken away, and refuses bad rows.
 */
class FakeDatabase {
  rows: number[] = [];
  private readonly stored = new Set<number>();
  /** Newest stored sample time of device 1's metric 1, and device 1's last-seen time. */
  latest: number | null = null;
  lastSeen: number | null = null;
  events = 0;
  up = true;
  writes = 0;
  newestWrites = 0;
  async write(batch: WriteBatch, newest: Newest | null): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.writes += 1;
    if (!this.up) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    if (batch.samples.some((s) => Number.isNaN(s.value))) {
      throw Object.assign(new Error('invalid input value'), { code: '22P02' });
    }
    for (const s of batch.samples) {
      if (this.stored.has(s.ts)) continue;
      this.stored.add(s.ts);
      this.rows.push(s.ts);
    }
    this.events += batch.events.length;
    if (!newest) return;
    this.newestWrites += 1;
    for (const v of newest.values) this.latest = Math.max(this.latest ?? v.ts, v.ts);
    const seen = newest.seen.get(1);
    if (seen !== undefined) this.lastSeen = Math.max(this.lastSeen ?? seen, seen);
  }
}

function message(n: number, value = n): WriteBatch {
  const batch = emptyBatch();
  batch.samples.push({ deviceKey: 1, metricId: 1, ts: n, value, receivedAt: n });
  return batch;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('DurableWriter', () => {
  let dir: string;
  let db: FakeDatabase;
  const spools: Spool[] = [];
  const writers: DurableWriter[] = [];

  function writer({ maxQueued = 1000, newestEveryMs = 50 } = {}): { writer: DurableWriter; spool: Spool } {
    const spool = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 4096, syncMs: 0, log: () => undefined });
    const w = new DurableWriter({
      spool,
      maxBatch: 50,
      flushMs: 5,
      maxQueued,
      newestEveryMs,
      write: (b, newest) => db.write(b, newest),
      onCommit: () => undefined,
      log: () => undefined,
    });
    spools.push(spool);
    writers.push(w);
    return { writer: w, spool };
  }

  async function shutDown(w: DurableWriter, spool: Spool, graceMs = 200): Promise<void> {
    await w.stop(graceMs);
    spool.close();
    spools.splice(spools.indexOf(spool), 1);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'writer-spec-'));
    db = new FakeDatabase();
  });
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.stop(0);
    for (const s of spools.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every message once, in order, and leaves the spool empty', async () => {
    const { writer: w, spool } = writer();
    w.start();
    for (let i = 0; i < 500; i++) w.accept(message(i), i);
    await until(() => db.rows.length === 500, 'all rows');
    expect(db.rows).toEqual(Array.from({ length: 500 }, (_, i) => i));
    await until(() => spool.backlogBytes === 0, 'the spool to empty');
  });

  it('writes what piled up during a slow write in one go, not batch by batch', async () => {
    const { writer: w } = writer();
    w.start();
    // The 50th message starts a write; the other 450 arrive while it is in flight.
    for (let i = 0; i < 500; i++) w.accept(message(i), i);
    await until(() => db.rows.length === 500, 'all rows');
    expect(db.rows).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(db.writes).toBe(2);
  });

  it('keeps everything through a database outage and writes it once when it is back', async () => {
    const { writer: w } = writer();
    w.start();
    for (let i = 0; i < 100; i++) w.accept(message(i), i);
    await until(() => db.rows.length === 100, 'the first rows');
    db.up = false;
    for (let i = 100; i < 300; i++) w.accept(message(i), i);
    await until(() => !w.state().databaseWritable, 'the outage to show');
    expect(w.state()).toMatchObject({ replaying: true, databaseWritable: false, lastError: 'connection refused' });
    for (let i = 300; i < 400; i++) w.accept(message(i), i);
    db.up = true;
    await until(() => db.rows.length >= 400 && !w.state().replaying, 'the catch-up');
    expect(db.rows).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(w.state()).toMatchObject({ databaseWritable: true, spoolBytes: 0, queued: 0 });
  });

  it('reads back from the spool what does not fit in memory', async () => {
    const { writer: w } = writer({ maxQueued: 10 });
    w.start();
    for (let i = 0; i < 1000; i++) w.accept(message(i), i);
    expect(w.state().replaying).toBe(true);
    await until(() => db.rows.length >= 1000 && !w.state().replaying, 'every row');
    expect([...new Set(db.rows)].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('writes what a previous run left in the spool before anything new', async () => {
    const first = writer();
    db.up = false;
    first.writer.start();
    for (let i = 0; i < 200; i++) first.writer.accept(message(i), i);
    await shutDown(first.writer, first.spool);
    expect(db.rows).toEqual([]);

    db.up = true;
    const second = writer();
    await second.writer.replayBacklog();
    expect(db.rows).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(second.spool.backlogBytes).toBe(0);
  });

  it('skips a message the database refuses for good, counts it, and keeps the others', async () => {
    const { writer: w } = writer();
    w.start();
    w.accept(message(1), 1);
    w.accept(message(2, Number.NaN), 2);
    w.accept(message(3), 3);
    await until(() => w.state().refused === 1 && db.rows.length === 2, 'the good rows');
    expect(db.rows).toEqual([1, 3]);
  });

  it('stores the newest values about once a newestEveryMs, not with every write', async () => {
    const { writer: w, spool } = writer({ newestEveryMs: 200 });
    w.start();
    const started = Date.now();
    for (let i = 0; i < 600; i++) {
      w.accept(message(i), i);
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await until(() => db.latest === 599 && spool.backlogBytes === 0, 'the newest values, once traffic stops');
    expect(db.rows).toHaveLength(600);
    expect(db.lastSeen).toBe(599);
    expect(db.writes).toBeGreaterThanOrEqual(10);
    expect(db.newestWrites).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 200) + 1);
  });

  it('commits the spool only with the newest values, and at once for a message holding an event', async () => {
    const { writer: w, spool } = writer({ newestEveryMs: 60_000 });
    w.start();
    w.accept(message(1), 1);
    await until(() => db.latest === 1, 'the first write, which carries the newest values');
    expect(spool.backlogBytes).toBe(0);
    w.accept(message(2), 2);
    await until(() => db.rows.length === 2, 'the second sample');
    expect(db.latest).toBe(1);
    expect(spool.backlogBytes).toBeGreaterThan(0);

    const event = emptyBatch();
    event.events.push({ deviceKey: 1, type: 'intrusion', ts: 3, confidence: 0.9, snapshotUrl: null, attributes: {} });
    w.accept(event, 3);
    await until(() => db.events === 1, 'the event');
    expect(db.latest).toBe(2);
    expect(spool.backlogBytes).toBe(0);
  });

  it('stores the newest values before it stops', async () => {
    const { writer: w, spool } = writer({ newestEveryMs: 60_000 });
    w.start();
    w.accept(message(1), 1);
    await until(() => db.latest === 1, 'the first write');
    for (let i = 2; i <= 20; i++) w.accept(message(i), i);
    await until(() => db.rows.length === 20, 'every sample');
    await w.stop(1000);
    expect(db.latest).toBe(20);
    expect(db.lastSeen).toBe(20);
    expect(spool.backlogBytes).toBe(0);
  });

  it('after a crash between newest-value writes, the restart stores the newest values it missed', async () => {
    const first = writer({ newestEveryMs: 60_000 });
    first.writer.start();
    first.writer.accept(message(1), 1);
    await until(() => db.latest === 1, 'the first write');
    for (let i = 2; i <= 100; i++) first.writer.accept(message(i), i);
    await until(() => db.rows.length === 100, 'every sample');
    expect(db.latest).toBe(1);
    // Stopping with no grace writes nothing more: what a crash leaves.
    await shutDown(first.writer, first.spool, 0);

    const second = writer();
    await second.writer.replayBacklog();
    expect(db.latest).toBe(100);
    expect(db.lastSeen).toBe(100);
    expect(db.rows).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(second.spool.backlogBytes).toBe(0);
  });

  it('treats connection trouble as passing and data errors as final', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '40P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
    expect(isTransient(Object.assign(new Error('x'), { code: '42601' }))).toBe(false);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableWriter, isTransient } from './durable-writer';
import { Spool } from './spool';
import { emptyBatch, type WriteBatch } from './write-batch';

/** A stand-in database that stores what it is given, can be taken away, and refuses bad rows. */
class FakeDatabase {
  rows: number[] = [];
  up = true;
  writes = 0;
  async write(batch: WriteBatch): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.writes += 1;
    if (!this.up) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    if (batch.samples.some((s) => Number.isNaN(s.value))) {
      throw Object.assign(new Error('invalid input value'), { code: '22P02' });
    }
    for (const s of batch.samples) this.rows.push(s.ts);
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

  function writer(maxQueued = 1000): { writer: DurableWriter; spool: Spool } {
    const spool = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 4096, syncMs: 0, log: () => undefined });
    const w = new DurableWriter({
      spool,
      maxBatch: 50,
      flushMs: 5,
      maxQueued,
      write: (b) => db.write(b),
      onCommit: () => undefined,
      log: () => undefined,
    });
    spools.push(spool);
    writers.push(w);
    return { writer: w, spool };
  }

  async function shutDown(w: DurableWriter, spool: Spool): Promise<void> {
    await w.stop(200);
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
    const { writer: w } = writer(10);
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

  it('treats connection trouble as passing and data errors as final', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '40P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
    expect(isTransient(Object.assign(new Error('x'), { code: '42601' }))).toBe(false);
  });
});

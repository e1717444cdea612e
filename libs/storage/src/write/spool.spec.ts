import { appendFileSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, type SpoolOptions } from './spool';

describe('Spool', () => {
  let dir: string;
  let logs: string[];
  const open = (options: Partial<SpoolOptions> = {}) =>
    Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, syncMs: 0, log: (l) => logs.push(l), ...options });
  const text = (records: Buffer[]) => records.map((r) => r.toString());

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-spec-'));
    logs = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back what was appended, in order, across segments', () => {
    const spool = open({ segmentBytes: 100 });
    const written = Array.from({ length: 50 }, (_, i) => `record ${i}`);
    for (const w of written) spool.append(Buffer.from(w));
    expect(spool.segmentCount).toBeGreaterThan(5);
    const { records, next } = spool.read(spool.committedPosition(), 1 << 20);
    expect(text(records)).toEqual(written);
    expect(next).toEqual(spool.head());
    spool.close();
  });

  it('reads in slices of about the size asked, resuming where the last one ended', () => {
    const spool = open();
    for (let i = 0; i < 100; i++) spool.append(Buffer.from(`r${String(i).padStart(3, '0')}`));
    const seen: string[] = [];
    let from = spool.committedPosition();
    for (;;) {
      const { records, next } = spool.read(from, 40);
      if (records.length === 0) break;
      expect(records.length).toBeLessThanOrEqual(10);
      seen.push(...text(records));
      from = next;
    }
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    spool.close();
  });

  it('keeps what was not committed across a restart and deletes what was', () => {
    const first = open({ segmentBytes: 64 });
    const positions = Array.from({ length: 20 }, (_, i) => first.append(Buffer.from(`message ${i}`)));
    first.commit(positions[9]);
    first.close();

    const second = open({ segmentBytes: 64 });
    const { records } = second.read(second.committedPosition(), 1 << 20);
    expect(text(records)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 10}`));
    second.commit(second.head());
    second.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toEqual([]);
  });

  it('counts unconsumed bytes, is full past its limit, and has room again after a commit', () => {
    const spool = open({ maxBytes: 1000 });
    let end = spool.head();
    while (!spool.full) end = spool.append(Buffer.alloc(90, 1));
    expect(spool.backlogBytes).toBeGreaterThanOrEqual(1000);
    spool.commit(end);
    expect(spool.backlogBytes).toBe(0);
    expect(spool.full).toBe(false);
    spool.close();
  });

  it('skips a record torn by a crash mid-write and keeps the ones before and after it', () => {
    const first = open();
    first.append(Buffer.from('before'));
    first.close();
    const segment = readdirSync(dir).find((f) => f.endsWith('.seg'))!;
    // Half a frame: a header announcing 100 bytes, then only 3 of them.
    const torn = Buffer.alloc(11);
    torn.writeUInt32LE(100, 0);
    appendFileSync(join(dir, segment), torn);

    const second = open();
    second.append(Buffer.from('after'));
    const { records } = second.read(second.committedPosition(), 1 << 20);
    expect(text(records)).toEqual(['before', 'after']);
    expect(logs.some((l) => l.includes('damaged'))).toBe(true);
    second.close();
  });

  it('detects a corrupted record by its checksum', () => {
    const first = open();
    first.append(Buffer.from('good one'));
    first.append(Buffer.from('bad one!'));
    first.close();
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    truncateSync(segment, statSync(segment).size - 1);
    appendFileSync(segment, 'X');

    const second = open();
    const { records } = second.read(second.committedPosition(), 1 << 20);
    expect(text(records)).toEqual(['good one']);
    second.close();
  });

  it('reads a record larger than the slice asked for whole', () => {
    const spool = open();
    const big = Buffer.alloc(300_000, 7);
    spool.append(big);
    spool.append(Buffer.from('next'));
    const first = spool.read(spool.committedPosition(), 10);
    expect(first.records).toHaveLength(1);
    expect(first.records[0].equals(big)).toBe(true);
    expect(text(spool.read(first.next, 10).records)).toEqual(['next']);
    spool.close();
  });

  it('refuses a directory another live process holds', () => {
    const spool = open();
    const lock = join(dir, 'lock');
    rmSync(lock);
    // The parent of this test process is alive and is not us.
    appendFileSync(lock, String(process.ppid));
    expect(() => open()).toThrow(/in use by process/);
    rmSync(lock);
    appendFileSync(lock, String(process.pid));
    spool.close();
  });

  it('takes over a lock left by a process that is gone', () => {
    appendFileSync(join(dir, 'lock'), '999999999');
    const spool = open();
    spool.append(Buffer.from('x'));
    expect(text(spool.read(spool.committedPosition(), 100).records)).toEqual(['x']);
    spool.close();
  });
});

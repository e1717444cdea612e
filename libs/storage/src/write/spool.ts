import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Periodic } from '@ioc/common';
import { isProcessAlive } from '@ioc/database';

/** A place in the spool: the byte offset inside a numbered segment file. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolOptions {
  dir: string;
  /** Unconsumed bytes past which the spool counts as full. */
  maxBytes: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number;
  /** How often appended bytes are forced to the disk (0: never, the OS decides). */
  syncMs: number;
  log: (line: string) => void;
}

export interface SpoolRead {
  records: Buffer[];
  /** Where the next read starts. */
  next: SpoolPosition;
}

/** Length and CRC-32 of the body, both little-endian. */
const FRAME_HEADER = 8;
const SEGMENT_NAME = /^(\d{12})\.seg$/;
const CHECKPOINT = 'checkpoint';
const LOCK = 'lock';

export function comparePositions(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

/**
 * An append-only log of records on local disk, in numbered segment files. Appending is synchronous
 * (the record is in the operating system's hands when `append` returns, so a crash of the process
 * loses nothing acknowledged after it); the data is forced to the disk every `syncMs`. `commit`
 * records how far the consumer got; whole segments behind that point are deleted. One process per
 * directory, enforced by a lock file.
 */
export class Spool {
  private fd = -1;
  private headSegment = 0;
  private headOffset = 0;
  private committed: SpoolPosition;
  /** Sizes of the segments still on disk, by number. */
  private readonly segments = new Map<number, number>();
  private readonly syncs = new Periodic(() => this.sync());
  private unsynced = false;

  private constructor(private readonly options: SpoolOptions) {
    this.committed = { segment: 0, offset: 0 };
  }

  static open(options: SpoolOptions): Spool {
    const spool = new Spool(options);
    spool.openDir();
    return spool;
  }

  /** Writes one record; returns the position just after it. Throws when the disk refuses. */
  append(body: Buffer): SpoolPosition {
    if (this.headOffset >= this.options.segmentBytes) this.roll();
    const frame = Buffer.allocUnsafe(FRAME_HEADER + body.length);
    frame.writeUInt32LE(body.length, 0);
    frame.writeUInt32LE(crc32(body), 4);
    body.copy(frame, FRAME_HEADER);
    let written = 0;
    while (written < frame.length) written += writeSync(this.fd, frame, written, frame.length - written);
    this.headOffset += frame.length;
    this.segments.set(this.headSegment, this.headOffset);
    this.unsynced = true;
    return { segment: this.headSegment, offset: this.headOffset };
  }

  head(): SpoolPosition {
    return { segment: this.headSegment, offset: this.headOffset };
  }

  /** Everything up to here is safe elsewhere; the checkpoint survives a restart. */
  commit(position: SpoolPosition): void {
    if (comparePositions(position, this.committed) <= 0) return;
    this.committed = { ...position };
    const tmp = join(this.options.dir, `${CHECKPOINT}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.committed));
    renameSync(tmp, join(this.options.dir, CHECKPOINT));
    for (const segment of [...this.segments.keys()]) {
      if (segment < position.segment) this.deleteSegment(segment);
    }
  }

  committedPosition(): SpoolPosition {
    return { ...this.committed };
  }

  /** Bytes appended and not yet committed. */
  get backlogBytes(): number {
    let bytes = 0;
    for (const [segment, size] of this.segments) {
      if (segment > this.committed.segment) bytes += size;
      else if (segment === this.committed.segment) bytes += size - this.committed.offset;
    }
    return Math.max(0, bytes);
  }

  get segmentCount(): number {
    return this.segments.size;
  }

  get full(): boolean {
    return this.backlogBytes >= this.options.maxBytes;
  }

  /**
   * Reads whole records from `from` on, about `maxBytes` of them, crossing segments. A damaged or
   * torn record in an older segment (the process died while writing it) ends that segment.
   */
  read(from: SpoolPosition, maxBytes: number): SpoolRead {
    const records: Buffer[] = [];
    const position = { ...from };
    let bytes = 0;
    while (bytes < maxBytes) {
      const size = this.segments.get(position.segment);
      if (size === undefined || position.offset >= size) {
        const later = this.nextSegment(position.segment);
        if (later === undefined) break;
        position.segment = later;
        position.offset = 0;
        continue;
      }
      const chunk = this.readChunk(position.segment, position.offset, size, Math.max(maxBytes - bytes, 64 * 1024));
      const parsed = parseFrames(chunk, records, maxBytes - bytes);
      bytes += parsed.bytes;
      if (parsed.damaged || parsed.consumed === 0) {
        this.options.log(`spool segment ${position.segment} is damaged at byte ${position.offset + parsed.consumed}; the rest of it is skipped`);
        position.offset = size;
        continue;
      }
      position.offset += parsed.consumed;
    }
    return { records, next: position };
  }

  /** Forces what was appended to the disk and releases the directory. */
  close(): void {
    void this.syncs.stop();
    if (this.fd >= 0) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = -1;
    if (this.backlogBytes === 0) {
      for (const segment of [...this.segments.keys()]) this.deleteSegment(segment);
    }
    unlinkSync(join(this.options.dir, LOCK));
  }

  private nextSegment(after: number): number | undefined {
    let next: number | undefined;
    for (const segment of this.segments.keys()) {
      if (segment > after && (next === undefined || segment < next)) next = segment;
    }
    return next;
  }

  /** At least the whole frame that starts at `offset`, so one large record is never split across reads. */
  private readChunk(segment: number, offset: number, size: number, wanted: number): Buffer {
    const fd = segment === this.headSegment ? this.fd : openSync(this.segmentPath(segment), 'r');
    try {
      const header = Buffer.alloc(4);
      const first = readSync(fd, header, 0, 4, offset) === 4 ? FRAME_HEADER + header.readUInt32LE(0) : 0;
      const buffer = Buffer.allocUnsafe(Math.min(size - offset, Math.max(wanted, first)));
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.subarray(0, read);
    } finally {
      if (fd !== this.fd) closeSync(fd);
    }
  }

  private openDir(): void {
    const { dir } = this.options;
    mkdirSync(dir, { recursive: true });
    this.lock();
    for (const name of readdirSync(dir)) {
      const match = SEGMENT_NAME.exec(name);
      if (match) this.segments.set(Number(match[1]), statSync(join(dir, name)).size);
    }
    this.committed = this.readCheckpoint();
    for (const segment of [...this.segments.keys()]) {
      if (segment < this.committed.segment) this.deleteSegment(segment);
    }
    // Appends always go to a fresh segment: an older one may end in a torn record.
    this.headSegment = Math.max(this.committed.segment, ...this.segments.keys()) + 1;
    this.openHead();
    if (this.options.syncMs > 0) this.syncs.start(this.options.syncMs);
  }

  private lock(): void {
    const path = join(this.options.dir, LOCK);
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(path, 'utf8'));
    if (Number.isInteger(holder) && holder !== process.pid && isProcessAlive(holder)) {
      throw new Error(`spool directory ${this.options.dir} is in use by process ${holder}: give each server its own SPOOL_DIR`);
    }
    // Left behind by a process that is gone.
    writeFileSync(path, String(process.pid));
  }

  private readCheckpoint(): SpoolPosition {
    try {
      const saved = JSON.parse(readFileSync(join(this.options.dir, CHECKPOINT), 'utf8')) as SpoolPosition;
      if (Number.isInteger(saved.segment) && Number.isInteger(saved.offset)) return saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.log(`spool checkpoint unreadable (${(err as Error).message}); replaying every segment`);
      }
    }
    const first = Math.min(...this.segments.keys());
    return { segment: Number.isFinite(first) ? first : 0, offset: 0 };
  }

  private roll(): void {
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.headSegment += 1;
    this.openHead();
  }

  private openHead(): void {
    this.fd = openSync(this.segmentPath(this.headSegment), 'a+');
    this.headOffset = fstatSync(this.fd).size;
    this.segments.set(this.headSegment, this.headOffset);
  }

  private sync(): void {
    if (!this.unsynced || this.fd < 0) return;
    this.unsynced = false;
    fdatasync(this.fd, (err) => {
      // EBADF: the segment was closed (and synced) meanwhile.
      if (err && err.code !== 'EBADF') this.options.log(`spool sync failed: ${err.message}`);
    });
  }

  private deleteSegment(segment: number): void {
    if (segment === this.headSegment && this.fd >= 0) return;
    this.segments.delete(segment);
    try {
      unlinkSync(this.segmentPath(segment));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private segmentPath(segment: number): string {
    return join(this.options.dir, `${String(segment).padStart(12, '0')}.seg`);
  }
}

/** Appends the intact records at the start of `chunk` to `out`, up to about `maxBytes` of bodies. */
function parseFrames(chunk: Buffer, out: Buffer[], maxBytes: number): { consumed: number; bytes: number; damaged: boolean } {
  let consumed = 0;
  let bytes = 0;
  while (bytes < maxBytes && consumed + FRAME_HEADER <= chunk.length) {
    const length = chunk.readUInt32LE(consumed);
    const end = consumed + FRAME_HEADER + length;
    if (end > chunk.length) break;
    const body = chunk.subarray(consumed + FRAME_HEADER, end);
    if (crc32(body) !== chunk.readUInt32LE(consumed + 4)) return { consumed, bytes, damaged: true };
    out.push(Buffer.from(body));
    consumed = end;
    bytes += length;
  }
  return { consumed, bytes, damaged: false };
}

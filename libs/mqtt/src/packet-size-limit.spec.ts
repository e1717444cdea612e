import fc from 'fast-check';
import { PacketSizeScanner } from './packet-size-limit';

const limits = { connectBytes: 300, packetBytes: 20_000 };

/** A fixed header: the type byte, then the remaining length, 7 bits a byte, low bits first. */
function header(type: number, length: number): number[] {
  const bytes = [type << 4];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

function packet(type: number, length: number): number[] {
  return [...header(type, length), ...new Array<number>(length).fill(0xff)];
}

/** Feeds the bytes in chunks cut at the given offsets; how many bytes went in before the refusal, or null. */
function refusedAfter(bytes: number[], cuts: number[]): number | null {
  const scanner = new PacketSizeScanner(limits);
  const edges = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...edges, bytes.length]) {
    if (to <= from) continue;
    if (!scanner.scan(Uint8Array.from(bytes.slice(from, to)))) return to;
    from = to;
  }
  return null;
}

describe('PacketSizeScanner', () => {
  it('passes packets within the limits, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: limits.connectBytes }),
        fc.array(fc.tuple(fc.integer({ min: 2, max: 14 }), fc.integer({ min: 0, max: limits.packetBytes })), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (connect, rest, cuts) => {
          const bytes = [...packet(1, connect), ...rest.flatMap(([type, length]) => packet(type, length))];
          expect(refusedAfter(bytes, cuts)).toBeNull();
        },
      ),
    );
  });

  it('refuses the first packet declaring more than its limit in the chunk holding its header', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 256 * 1024 * 1024 - 1 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (inConnect, excess, cuts) => {
          const limit = inConnect ? limits.connectBytes : limits.packetBytes;
          const before = inConnect ? [] : [...packet(1, 10), ...packet(3, 500)];
          const oversize = header(inConnect ? 1 : 3, limit + excess);
          const bytes = [...before, ...oversize, ...new Array<number>(64).fill(0)];
          const at = refusedAfter(bytes, cuts);
          expect(at).not.toBeNull();
          // Refused by the chunk that completed the header, not later.
          const headerEnd = before.length + oversize.length;
          const cutsAfter = cuts.map((c) => c % (bytes.length + 1)).filter((c) => c >= headerEnd);
          expect(at).toBeLessThanOrEqual(Math.min(bytes.length, ...cutsAfter));
        },
      ),
    );
  });

  it('refuses a remaining length longer than four bytes, and every chunk after a refusal', () => {
    const scanner = new PacketSizeScanner({ connectBytes: 1e9, packetBytes: 1e9 });
    expect(scanner.scan(Uint8Array.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe(false);
    expect(scanner.scan(Uint8Array.from([0x10, 0x00]))).toBe(false);
  });
});

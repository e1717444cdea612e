import type { Duplex } from 'node:stream';

/** The largest remaining length (the fixed header's declared size) a connection's packets may have. */
export interface PacketSizeLimits {
  /** Of the first packet, the CONNECT: nothing larger is read from a client that has not logged in. */
  connectBytes: number;
  /** Of every later packet. */
  packetBytes: number;
}

/**
 * Follows the packet boundaries of one connection's MQTT byte stream: reads each fixed header (the
 * type byte, then a remaining length of 1-4 bytes, 7 bits each) and skips the body by count. A
 * packet is refused by the size it declares, as soon as its header arrives, before its body does.
 * No copy, no allocation per packet.
 */
export class PacketSizeScanner {
  private limit: number;
  /** Body bytes of the current packet still to pass. */
  private skip = 0;
  private inLength = false;
  private declared = 0;
  private multiplier = 1;
  private refused = false;

  constructor(private readonly limits: PacketSizeLimits) {
    this.limit = limits.connectBytes;
  }

  /** False once a packet declared more than it may (and for every chunk after). */
  scan(chunk: Uint8Array): boolean {
    if (this.refused) return false;
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, end - i);
        this.skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++];
      if (!this.inLength) {
        this.inLength = true;
        this.declared = 0;
        this.multiplier = 1;
        continue;
      }
      this.declared += (byte & 0x7f) * this.multiplier;
      // A fifth length byte would declare more than MQTT's 256 MB: refused as oversize too.
      if (this.declared > this.limit || (byte & 0x80 && this.multiplier === 128 ** 3)) {
        this.refused = true;
        return false;
      }
      if (byte & 0x80) {
        this.multiplier *= 128;
        continue;
      }
      this.inLength = false;
      this.skip = this.declared;
      this.limit = this.limits.packetBytes;
    }
    return true;
  }
}

/**
 * Closes the connection as soon as a packet declares more than the limits allow. It watches the
 * chunks the broker reads (a 'data' listener sees each one as `read()` hands it over), so it adds
 * no stream in between; the broker has then taken at most the chunk that held the header.
 */
export function limitPacketSizes(stream: Duplex, limits: PacketSizeLimits, refused: () => void): void {
  const scanner = new PacketSizeScanner(limits);
  const watch = (chunk: Buffer) => {
    if (scanner.scan(chunk)) return;
    stream.off('data', watch);
    stream.destroy();
    refused();
  };
  stream.on('data', watch);
}

import { connect as tcpConnect, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);
// PUBLISH, QoS 1, neither dup nor retain.
const PUBLISH_QOS1 = 0x32;

export interface DeviceEvents {
  /** The broker acknowledged (PUBACK) one message. */
  acked(): void;
  /** The connection ended after CONNACK. */
  closed(): void;
  error(message: string): void;
}

/**
 * One device's MQTT 3.1.1 connection, written by hand on a socket: it only publishes QoS 1
 * messages and counts their PUBACKs. The load generator shares the machine's cores with what it
 * measures, and full mqtt.js clients cost it about a third more CPU.
 */
export class MqttDevice {
  private socket: Socket | null = null;
  private nextId = 0;
  private lastSentAt = 0;
  connected = false;

  constructor(
    private readonly url: URL,
    private readonly clientId: string,
    private readonly password: string | undefined,
    private readonly keepaliveS: number,
    private readonly events: DeviceEvents,
  ) {}

  /** Resolves true on CONNACK 0, false on refusal, error, close or timeout. */
  connect(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.connected = ok;
        if (!ok) socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => {
        this.events.error(`${this.clientId}: no CONNACK within ${timeoutMs} ms`);
        settle(false);
      }, timeoutMs);
      const socket = tcpConnect(Number(this.url.port || 1883), this.url.hostname);
      this.socket = socket;
      socket.setNoDelay(true);
      const packets = parser({ protocolVersion: 4 });
      packets.on('packet', (packet: Packet) => {
        if (packet.cmd === 'puback') this.events.acked();
        else if (packet.cmd === 'connack') {
          if (packet.returnCode !== 0) this.events.error(`${this.clientId}: CONNACK return code ${packet.returnCode}`);
          settle(packet.returnCode === 0);
        }
      });
      packets.on('error', (err: Error) => {
        this.events.error(`${this.clientId}: ${err.message}`);
        socket.destroy();
      });
      socket.on('data', (chunk) => packets.parse(chunk));
      socket.on('error', (err) => this.events.error(`${this.clientId}: ${err.message}`));
      socket.on('close', () => {
        if (!settled) return settle(false);
        if (!this.connected) return;
        this.connected = false;
        this.events.closed();
      });
      socket.write(
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: this.clientId,
          keepalive: this.keepaliveS,
          ...(this.password === undefined ? {} : { username: this.clientId, password: Buffer.from(this.password) }),
        }),
      );
      this.lastSentAt = Date.now();
    });
  }

  publish(topic: Buffer, payload: string): void {
    this.nextId = (this.nextId % 0xffff) + 1;
    const body = Buffer.byteLength(payload);
    const remaining = 2 + topic.length + 2 + body;
    const lengthBytes = remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4;
    const packet = Buffer.allocUnsafe(1 + lengthBytes + remaining);
    let at = 0;
    packet[at++] = PUBLISH_QOS1;
    for (let left = remaining; ; ) {
      const byte = left & 0x7f;
      left >>= 7;
      packet[at++] = left > 0 ? byte | 0x80 : byte;
      if (left === 0) break;
    }
    at = packet.writeUInt16BE(topic.length, at);
    at += topic.copy(packet, at);
    at = packet.writeUInt16BE(this.nextId, at);
    packet.write(payload, at, 'utf8');
    this.socket!.write(packet);
    this.lastSentAt = Date.now();
  }

  /** Sends PINGREQ when nothing else went out for half the keepalive. */
  keepAlive(now: number): void {
    if (this.connected && now - this.lastSentAt >= (this.keepaliveS * 1000) / 2) {
      this.socket!.write(PINGREQ);
      this.lastSentAt = now;
    }
  }

  /** DISCONNECT, then waits for the broker to close (bounded). */
  close(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end(DISCONNECT);
    });
  }
}

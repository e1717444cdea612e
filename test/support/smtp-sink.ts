import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

/** One message the sink took, decoded enough to read. */
export interface ReceivedMail {
  /** The envelope's recipients. */
  to: string[];
  headers: Record<string, string>;
  subject: string;
  text: string;
  html: string;
  raw: string;
  at: number;
}

/** What the sink answers the n-th message handed to it (from 1): take it, refuse it with a reply, or never answer. */
export type SmtpAnswer = 'accept' | { code: number; message: string } | 'hang';

/** A real SMTP server of the test's own (smtp-server, no TLS, no login) that keeps every message it takes. */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** Messages handed to it, taken or not. */
  offered = 0;
  private server: SMTPServer | null = null;
  port = 0;

  private constructor(private readonly answer: (n: number) => SmtpAnswer) {}

  static async start(answer: (n: number) => SmtpAnswer = () => 'accept', port = 0): Promise<SmtpSink> {
    const sink = new SmtpSink(answer);
    await sink.listen(port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The messages whose envelope names that address. */
  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  /** Listens again on the same port: the server is back. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 100,
      onData: (stream, session, callback) => this.take(stream, session.envelope.rcptTo.map((r) => r.address), callback),
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
  }

  private take(stream: SMTPServerDataStream, to: string[], callback: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const a = this.answer(++this.offered);
      if (a === 'hang') return;
      if (a !== 'accept') {
        callback(Object.assign(new Error(a.message), { responseCode: a.code }));
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      this.messages.push({ to, raw, at: Date.now(), ...readMessage(raw) });
      callback();
    });
  }
}

/** The headers (encoded words decoded) and the text and HTML parts of a MIME message, as nodemailer writes them. */
export function readMessage(raw: string): { headers: Record<string, string>; subject: string; text: string; html: string } {
  const { headers, body } = split(raw);
  const parts: { text: string; html: string } = { text: '', html: '' };
  collect(headers, body, parts);
  return { headers, subject: headers.subject ?? '', ...parts };
}

function split(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body: end < 0 ? '' : raw.slice(end + 4) };
}

function collect(headers: Record<string, string>, body: string, into: { text: string; html: string }): void {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const inner = split(part.replace(/^\r\n/, ''));
      collect(inner.headers, inner.body, into);
    }
    return;
  }
  const decoded = decodeBody(body, headers['content-transfer-encoding'] ?? '7bit');
  if (type.startsWith('text/html')) into.html += decoded;
  else if (type.startsWith('text/plain')) into.text += decoded;
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return quotedPrintable(body.replace(/=\r\n/g, ''));
    default:
      return body;
  }
}

function quotedPrintableBytes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

const quotedPrintable = (s: string) => quotedPrintableBytes(s).toString('utf8');

const WORD = /=\?[^?]+\?([BbQq])\?([^?]*)\?=/g;

/**
 * RFC 2047 words (=?UTF-8?B?...?= and =?UTF-8?Q?...?=); the space between two of them is not
 * text, and a character may be split across two, so a run of words is decoded as one.
 */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) =>
      Buffer.concat(
        [...run.matchAll(WORD)].map(([, kind, text]) => (kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : quotedPrintableBytes(text.replace(/_/g, ' ')))),
      ).toString('utf8'),
    );
}

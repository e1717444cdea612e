import { createTransport, type Transporter } from 'nodemailer';
import { attemptSignal } from '../outbox/attempt-signal';
import type { SendResult } from '../outbox/outbox-worker';

export interface SmtpSettings {
  url: string;
  from: string;
  timeoutMs: number;
  /** Connections kept open to the server. */
  connections: number;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** An SMTP server's error as nodemailer reports it: the reply code, when the server answered. */
type SmtpError = Error & { responseCode?: number; code?: string };

/** A pool of connections to the SMTP server, sending as `from`; STARTTLS whenever the server offers it. */
export function smtpTransport(s: SmtpSettings): Transporter {
  return createTransport(
    {
      url: s.url,
      pool: true,
      maxConnections: s.connections,
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
    },
    { from: s.from },
  );
}

/**
 * Hands one email to the SMTP server and says how it went; never throws. `timeoutMs` bounds the
 * whole exchange, `stop` ends the wait early (the server stopping): the message may still have
 * gone, and is sent again later (at least once).
 */
export async function sendEmail(transport: Transporter, mail: OutgoingEmail, timeoutMs: number, stop: AbortSignal): Promise<SendResult> {
  const { signal, end } = attemptSignal(timeoutMs, stop);
  let cancel = () => undefined as void;
  const cut = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    cancel = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    const info = (await Promise.race([transport.sendMail(mail), cut])) as { response?: string };
    return { ok: true, statusCode: replyCode(info.response) };
  } catch (err) {
    const e = err as SmtpError;
    if (stop.aborted) return { ok: false, statusCode: null, error: 'the server stopped during the attempt', retryAfterMs: null };
    if (e.name === 'TimeoutError') return { ok: false, statusCode: null, error: `no answer within ${timeoutMs} ms`, retryAfterMs: null };
    return { ok: false, statusCode: e.responseCode ?? null, error: e.code ? `${e.code}: ${e.message}` : e.message, retryAfterMs: null };
  } finally {
    cancel();
    end();
  }
}

/** "250 2.0.0 OK queued as 1234" → 250. */
function replyCode(response: string | undefined): number | null {
  const code = /^(\d{3})\b/.exec(response ?? '');
  return code ? Number(code[1]) : null;
}

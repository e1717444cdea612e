import { attemptSignal } from '../outbox/attempt-signal';
import { parseRetryAfter } from '../outbox/retry-schedule';
import type { SendResult } from '../outbox/outbox-worker';

/** What a failed answer's body may add to the error kept in the log. */
const ERROR_BODY_CHARS = 300;

/**
 * POSTs one body and says how it went; never throws. `timeoutMs` bounds the whole exchange;
 * `stop` ends it early (the server stopping). Redirects are not followed: a signed body goes
 * only where the subscription says.
 */
export async function send(url: string, body: string, headers: Record<string, string>, timeoutMs: number, stop: AbortSignal): Promise<SendResult> {
  const { signal, end } = attemptSignal(timeoutMs, stop);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ioc-webhooks/1', ...headers },
      body,
      redirect: 'manual',
      signal,
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: true, statusCode: res.status };
    }
    const text = await firstChars(res, ERROR_BODY_CHARS);
    return {
      ok: false,
      statusCode: res.status,
      error: `HTTP ${res.status}${text ? `: ${text}` : ''}`,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
    };
  } catch (err) {
    return { ok: false, statusCode: null, error: failure(err, timeoutMs, stop), retryAfterMs: null };
  } finally {
    end();
  }
}

function failure(err: unknown, timeoutMs: number, stop: AbortSignal): string {
  if (stop.aborted) return 'the server stopped during the attempt';
  const e = err as Error & { cause?: { message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // undici says "fetch failed" and keeps the reason (ECONNREFUSED, a bad certificate) in the cause.
  return e.cause?.message ? `${e.message}: ${e.cause.message}` : String(e.message ?? err);
}

/** The start of a body, read no further (a receiver may answer an endless one). */
async function firstChars(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The answer's status is what matters; a body cut short only shortens the error.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

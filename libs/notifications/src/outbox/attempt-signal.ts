/** The signal one delivery attempt runs under, and how to let it go once the attempt is over. */
export interface AttemptSignal {
  signal: AbortSignal;
  end(): void;
}

/**
 * Aborted after `timeoutMs` (its reason a `TimeoutError`) or as soon as `stop` is. It keeps its own
 * timer: an `AbortSignal.timeout` given to `AbortSignal.any` is held by nothing, and Node 20 may
 * collect it before it fires, leaving an attempt to a silent receiver waiting for ever.
 */
export function attemptSignal(timeoutMs: number, stop: AbortSignal): AttemptSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  timer.unref();
  const onStop = () => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    end: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}

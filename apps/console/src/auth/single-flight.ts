/**
 * Wraps `run` so that at most one call is under way: callers arriving meanwhile share its promise.
 * A refresh token is single use, so two refreshes racing each other would end the session.
 */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
}

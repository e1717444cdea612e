/**
 * Work done every so often, one round at a time: a tick while a round is under way is skipped,
 * and `stop` awaits the round under way. A round handles its own errors.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly round: () => Promise<void> | void) {}

  /** Runs a round every `everyMs` from now on; the timer does not keep the process alive. */
  start(everyMs: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.runOnce(), everyMs);
    this.timer.unref();
  }

  get started(): boolean {
    return this.timer !== null;
  }

  /** No more rounds; resolves once the round under way, if any, is over. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A round now, unless one is under way: then that one. */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    const result = this.round();
    if (!result) return Promise.resolve();
    this.running = result.finally(() => (this.running = null));
    return this.running;
  }
}

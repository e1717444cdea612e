/**
 * Wake-ups in time order (a binary min-heap). A key may be queued several times; the caller
 * checks on popping whether a wake-up is still wanted, which keeps a reschedule O(log n).
 */
export class WakeQueue<K> {
  private readonly times: number[] = [];
  private readonly keys: K[] = [];

  get size(): number {
    return this.times.length;
  }

  /** The earliest time queued, or null. */
  peek(): number | null {
    return this.times.length === 0 ? null : this.times[0];
  }

  push(at: number, key: K): void {
    let i = this.times.length;
    this.times.push(at);
    this.keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] <= at) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = at;
    this.keys[i] = key;
  }

  /** Removes and answers every wake-up due at `now` or before, earliest first. */
  popDue(now: number): { at: number; key: K }[] {
    const due: { at: number; key: K }[] = [];
    while (this.times.length > 0 && this.times[0] <= now) due.push(this.pop());
    return due;
  }

  private pop(): { at: number; key: K } {
    const top = { at: this.times[0], key: this.keys[0] };
    const at = this.times.pop()!;
    const key = this.keys.pop()!;
    const n = this.times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && this.times[child + 1] < this.times[child]) child++;
        if (this.times[child] >= at) break;
        this.move(child, i);
        i = child;
      }
      this.times[i] = at;
      this.keys[i] = key;
    }
    return top;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.keys[to] = this.keys[from];
  }
}

import fc from 'fast-check';
import { WakeQueue } from './wake-queue';

describe('WakeQueue', () => {
  it('gives back exactly the wake-ups due, earliest first, and keeps the rest', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (times, now) => {
        const queue = new WakeQueue<number>();
        times.forEach((t, i) => queue.push(t, i));
        const due = queue.popDue(now);
        expect(due.map((d) => d.at)).toEqual(times.filter((t) => t <= now).sort((a, b) => a - b));
        for (const d of due) expect(times[d.key]).toBe(d.at);
        expect(queue.size).toBe(times.filter((t) => t > now).length);
        expect(queue.peek()).toBe(queue.size === 0 ? null : Math.min(...times.filter((t) => t > now)));
      }),
    );
  });
});

/** What a rule's conditions see of one device. Times are epoch milliseconds. */
export type AlertInput =
  | { type: 'sample'; metric: string; value: number; time: number }
  | { type: 'event'; eventType: string; confidence: number | null; time: number }
  | { type: 'status'; online: boolean; time: number }
  /** The clock: sent at a result's wakeAt even when nothing arrives. */
  | { type: 'tick'; time: number };

/**
 * One condition after one input. `state` is plain JSON (stored, reloaded after a restart through
 * restoreRuleState); `changed`: `active` differs from before; `wakeAt`: when a tick may change the answer.
 */
export interface ConditionResult<S> {
  state: S;
  active: boolean;
  changed: boolean;
  wakeAt: number | null;
  value?: number;
}

/**
 * A condition's state as JSON gives it back: a number field that held NaN ("none") comes back as
 * null, and a state saved by an earlier version may have another shape.
 */
export type SavedState = { readonly [field: string]: unknown };

/**
 * States keep "none" as NaN rather than null: a field that only ever holds numbers stays a double
 * that V8 updates in place, where one mixing null and numbers gets a new heap number every store.
 */
export const savedNumber = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

/** An array of numbers as saved, or empty. */
export const savedNumbers = (v: unknown): number[] => {
  const numbers: number[] = [];
  if (Array.isArray(v)) for (const n of v as unknown[]) if (typeof n === 'number') numbers.push(n);
  return numbers;
};

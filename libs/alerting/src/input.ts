/** What a rule's conditions see of one device. Times are epoch milliseconds. */
export type AlertInput =
  | { type: 'sample'; metric: string; value: number; time: number }
  | { type: 'event'; eventType: string; confidence: number | null; time: number }
  | { type: 'status'; online: boolean; time: number }
  /** The clock: sent at a result's wakeAt even when nothing arrives. */
  | { type: 'tick'; time: number };

/**
 * One condition after one input. `state` is plain JSON (stored, reloaded after a restart);
 * `changed`: `active` differs from before; `wakeAt`: when a tick may change the answer.
 */
export interface ConditionResult<S> {
  state: S;
  active: boolean;
  changed: boolean;
  wakeAt: number | null;
  value?: number;
}

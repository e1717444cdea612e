import type { AlertCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult, SavedState } from './input';
import * as cameraEvent from './kinds/camera-event';
import * as noData from './kinds/no-data';
import * as offline from './kinds/offline';
import * as rateOfChange from './kinds/rate-of-change';
import * as threshold from './kinds/threshold';

export type ConditionState =
  | threshold.ThresholdState
  | rateOfChange.RateOfChangeState
  | noData.NoDataState
  | offline.OfflineState
  | cameraEvent.CameraEventState;

export function initialConditionState(c: AlertCondition, startedAt: number): ConditionState {
  switch (c.kind) {
    case 'threshold':
      return threshold.initial();
    case 'rate_of_change':
      return rateOfChange.initial(c);
    case 'no_data':
      return noData.initial(startedAt);
    case 'offline':
      return offline.initial();
    case 'camera_event':
      return cameraEvent.initial();
  }
}

/** A state read back from JSON (see SavedState); a field missing reads as none. */
export function restoreConditionState(c: AlertCondition, saved: SavedState): ConditionState {
  switch (c.kind) {
    case 'threshold':
      return threshold.restore(saved);
    case 'rate_of_change':
      return rateOfChange.restore(saved);
    case 'no_data':
      return noData.restore(saved);
    case 'offline':
      return offline.restore(saved);
    case 'camera_event':
      return cameraEvent.restore(saved);
  }
}

/** The state must be the one made for this condition (rule.ts starts afresh when a rule changes). */
export function evaluateCondition(c: AlertCondition, s: ConditionState, input: AlertInput): ConditionResult<ConditionState> {
  switch (c.kind) {
    case 'threshold':
      return threshold.evaluate(c, s as threshold.ThresholdState, input);
    case 'rate_of_change':
      return rateOfChange.evaluate(c, s as rateOfChange.RateOfChangeState, input);
    case 'no_data':
      return noData.evaluate(c, s as noData.NoDataState, input);
    case 'offline':
      return offline.evaluate(c, s as offline.OfflineState, input);
    case 'camera_event':
      return cameraEvent.evaluate(c, s as cameraEvent.CameraEventState, input);
  }
}

/** evaluateCondition with `s` updated in place: the result's state is `s`. */
export function stepCondition(c: AlertCondition, s: ConditionState, input: AlertInput): ConditionResult<ConditionState> {
  switch (c.kind) {
    case 'threshold':
      return threshold.step(c, s as threshold.ThresholdState, input);
    case 'rate_of_change':
      return rateOfChange.step(c, s as rateOfChange.RateOfChangeState, input);
    case 'no_data':
      return noData.step(c, s as noData.NoDataState, input);
    case 'offline':
      return offline.step(c, s as offline.OfflineState, input);
    case 'camera_event':
      return cameraEvent.step(c, s as cameraEvent.CameraEventState, input);
  }
}

/**
 * stepCondition without a result object, for a rule evaluated in place: `s` is updated and its
 * `active` is the answer; returns when a tick may change it.
 */
export function advanceCondition(c: AlertCondition, s: ConditionState, input: AlertInput): number | null {
  switch (c.kind) {
    case 'threshold':
      threshold.update(c, s as threshold.ThresholdState, input);
      return threshold.wakeAt(c, s as threshold.ThresholdState);
    case 'rate_of_change':
      rateOfChange.update(c, s as rateOfChange.RateOfChangeState, input);
      return null;
    case 'no_data':
      noData.update(c, s as noData.NoDataState, input);
      return noData.wakeAt(c, s as noData.NoDataState);
    case 'offline':
      offline.update(c, s as offline.OfflineState, input);
      return offline.wakeAt(c, s as offline.OfflineState);
    case 'camera_event':
      cameraEvent.update(c, s as cameraEvent.CameraEventState, input);
      return cameraEvent.wakeAt(c, s as cameraEvent.CameraEventState);
  }
}

/** The value a fire of the condition reports, as its result's `value`. */
export function conditionValue(c: AlertCondition, s: ConditionState): number | undefined {
  switch (c.kind) {
    case 'threshold':
      return threshold.value(s as threshold.ThresholdState);
    case 'rate_of_change':
      return rateOfChange.value(c, s as rateOfChange.RateOfChangeState);
    case 'camera_event':
      return cameraEvent.value(s as cameraEvent.CameraEventState);
    case 'no_data':
    case 'offline':
      return undefined;
  }
}

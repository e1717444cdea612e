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

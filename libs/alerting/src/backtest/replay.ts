import type { AlertInput } from '../input';
import { evaluateRule, initialRuleState, type EvaluatedRule } from '../rule';

/** One stretch of a rule firing on one device; `to` null: still firing at the end of the replay. */
export interface Firing {
  deviceId: string;
  from: number;
  to: number | null;
  value: number | null;
}

/**
 * Runs one device's inputs (in time order) through the rule as the live service would, with the
 * clock ticking at every wake-up the rule asks for between them, from `from` (the rule starts
 * watching) to `to`. Pure: the same inputs give the same firings.
 */
export function replayDevice(rule: EvaluatedRule, deviceId: string, inputs: readonly AlertInput[], from: number, to: number): Firing[] {
  const firings: Firing[] = [];
  let open: Firing | null = null;
  let state = initialRuleState(rule, from);
  let wakeAt: number | null = null;
  let clock = from;

  const step = (input: AlertInput) => {
    const result = evaluateRule(rule, state, input);
    state = result.state;
    // A wake-up at or before the input just taken would tick forever: the rule has nothing due then.
    wakeAt = result.wakeAt !== null && result.wakeAt > input.time ? result.wakeAt : null;
    clock = input.time;
    for (const t of result.transitions) {
      if (t.type === 'fire' && open === null) {
        open = { deviceId, from: t.at, to: null, value: t.value ?? null };
        firings.push(open);
      } else if (t.type === 'clear' && open !== null) {
        open.to = t.at;
        open = null;
      }
    }
  };
  const tickUntil = (time: number) => {
    while (wakeAt !== null && wakeAt <= time && wakeAt < to) step({ type: 'tick', time: wakeAt });
  };

  step({ type: 'tick', time: from });
  for (const input of inputs) {
    if (input.time < clock || input.time >= to) continue;
    tickUntil(input.time);
    step(input);
  }
  tickUntil(to);
  return firings;
}

/** An incident the firings would have made. */
export interface ReplayedIncident {
  deviceIds: string[];
  from: number;
  /** The last clear; null while a device still fires at the end. */
  to: number | null;
  value: number | null;
  fires: number;
}

/**
 * Firings grouped into incidents the way the live service groups them: a firing that starts
 * while the incident is open, or within `dampingMs` of its last clear, joins it. Per device,
 * give one device's firings; for an area-grouped rule, every device's of the area.
 */
export function groupFirings(firings: readonly Firing[], dampingMs: number): ReplayedIncident[] {
  const sorted = [...firings].sort((a, b) => a.from - b.from);
  const incidents: ReplayedIncident[] = [];
  let current: ReplayedIncident | null = null;
  for (const f of sorted) {
    if (current !== null && (current.to === null || f.from <= current.to + dampingMs)) {
      current.to = current.to === null || f.to === null ? null : Math.max(current.to, f.to);
      if (!current.deviceIds.includes(f.deviceId)) current.deviceIds.push(f.deviceId);
      current.fires++;
      continue;
    }
    current = { deviceIds: [f.deviceId], from: f.from, to: f.to, value: f.value, fires: 1 };
    incidents.push(current);
  }
  return incidents;
}

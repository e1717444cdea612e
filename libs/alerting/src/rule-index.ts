import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { EVENT_TYPES, type AlertCondition, type AlertRuleDefinition, type DeviceKind } from '@ioc/contracts';
import type { AlertInput } from './input';

/** What the index needs to know of a device, from the caller's registry. */
export interface DeviceFacts {
  kind: DeviceKind;
  /** Every area that contains the device, at every level. */
  areaIds: readonly string[];
  lat: number | null;
  lng: number | null;
}

export interface IndexableRule {
  definition: Pick<AlertRuleDefinition, 'scope' | 'conditions' | 'enabled'>;
}

/** Keys of inputs other than samples; metric names cannot start with `#`. */
const STATUS_KEY = '#status';
/** Made once per event type rather than once per event. */
const EVENT_KEYS = new Map<string, string>(EVENT_TYPES.map((t) => [t, `#event:${t}`]));
const eventKey = (eventType: string) => EVENT_KEYS.get(eventType) ?? `#event:${eventType}`;

/** The key an input is indexed under; null for a tick, which goes to the (rule, device) that asked for it. */
export function inputKey(input: AlertInput): string | null {
  switch (input.type) {
    case 'sample':
      return input.metric;
    case 'event':
      return eventKey(input.eventType);
    case 'status':
      return STATUS_KEY;
    case 'tick':
      return null;
  }
}

/** The key a condition listens on: its metric, its event type, or status changes. */
export function conditionKey(c: AlertCondition): string {
  switch (c.kind) {
    case 'threshold':
    case 'rate_of_change':
    case 'no_data':
      return c.metric;
    case 'offline':
      return STATUS_KEY;
    case 'camera_event':
      return eventKey(c.eventType);
  }
}

/** The rules of one key, by scope, and the answers found for it so far by device number. */
class Bucket<R> {
  readonly all: R[] = [];
  readonly byKind = new Map<string, R[]>();
  readonly byDevice = new Map<string, R[]>();
  readonly byArea = new Map<string, R[]>();
  readonly polygons: R[] = [];
  readonly answers: (readonly R[] | undefined)[] = [];
}

const push = <R>(map: Map<string, R[]>, key: string, rule: R) => {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
};

const NONE: readonly never[] = [];

/**
 * The rules that can match an input of a device, keyed by (metric or input type) x scope. A
 * device's answer per key is computed once and cached, polygons tested once per device, so the
 * cost of an input grows with the rules that match it, not with all rules.
 *
 * Each device seen gets a compact number (`slotOf`); a caller that resolves it once and carries it
 * with the device's inputs asks `candidatesAt`, which finds the answer in one array read instead of
 * looking the device up by id among 100,000. Devices alike (same kind and areas) share one answer.
 */
export class RuleIndex<R extends IndexableRule> {
  private buckets = new Map<string, Bucket<R>>();
  private polygonRules: R[] = [];
  /** Each rule's position, to recognise answers alike. */
  private ruleNumbers = new Map<R, number>();
  private shared = new Map<string, readonly R[]>();
  private readonly slots = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly insidePolygons: (ReadonlySet<R> | undefined)[] = [];

  constructor(
    rules: readonly R[],
    private readonly lookup: (deviceId: string) => DeviceFacts | undefined,
  ) {
    this.setRules(rules);
  }

  /** Replaces every rule; what was cached per device is forgotten, the devices' numbers stay. */
  setRules(rules: readonly R[]): void {
    this.buckets = new Map();
    this.polygonRules = [];
    this.ruleNumbers = new Map();
    this.shared = new Map();
    this.insidePolygons.fill(undefined);
    for (const rule of rules) {
      if (!rule.definition.enabled) continue;
      this.ruleNumbers.set(rule, this.ruleNumbers.size);
      const { scope } = rule.definition;
      if (scope.type === 'polygon') this.polygonRules.push(rule);
      for (const key of new Set(rule.definition.conditions.map(conditionKey))) {
        let bucket = this.buckets.get(key);
        if (!bucket) this.buckets.set(key, (bucket = new Bucket<R>()));
        switch (scope.type) {
          case 'all':
            bucket.all.push(rule);
            break;
          case 'deviceKind':
            push(bucket.byKind, scope.deviceKind, rule);
            break;
          case 'devices':
            for (const id of scope.deviceIds) push(bucket.byDevice, id, rule);
            break;
          case 'area':
            push(bucket.byArea, scope.areaId, rule);
            break;
          case 'polygon':
            bucket.polygons.push(rule);
            break;
        }
      }
    }
  }

  /** A device's kind, areas or position changed, or it was removed. Its number stays. */
  forgetDevice(deviceId: string): void {
    const slot = this.slots.get(deviceId);
    if (slot === undefined) return;
    for (const bucket of this.buckets.values()) if (slot < bucket.answers.length) bucket.answers[slot] = undefined;
    this.insidePolygons[slot] = undefined;
  }

  /** The device's compact number (0, 1, 2 ... in the order devices are first seen), the same for the index's life. */
  slotOf(deviceId: string): number {
    let slot = this.slots.get(deviceId);
    if (slot === undefined) {
      slot = this.ids.push(deviceId) - 1;
      this.slots.set(deviceId, slot);
      this.insidePolygons.push(undefined);
    }
    return slot;
  }

  /** The enabled rules with a condition on `key` (see inputKey) whose scope holds the device. */
  candidates(deviceId: string, key: string): readonly R[] {
    const slot = this.slots.get(deviceId);
    if (slot !== undefined) return this.candidatesAt(slot, key);
    const bucket = this.buckets.get(key);
    if (!bucket) return NONE;
    // A device unknown to the lookup gets no number, so that ids that never resolve do not pile up.
    const device = this.lookup(deviceId);
    return device ? this.answer(bucket, this.slotOf(deviceId), device) : NONE;
  }

  /** `candidates` of the device numbered `slot` by slotOf. */
  candidatesAt(slot: number, key: string): readonly R[] {
    const bucket = this.buckets.get(key);
    if (!bucket) return NONE;
    const cached = bucket.answers[slot];
    if (cached !== undefined) return cached;
    const device = this.lookup(this.ids[slot]);
    return device ? this.answer(bucket, slot, device) : NONE;
  }

  private answer(bucket: Bucket<R>, slot: number, device: DeviceFacts): readonly R[] {
    const found = this.match(bucket, slot, device);
    const { answers } = bucket;
    // Filled up to the slot, so that the array stays a plain one rather than a sparse dictionary.
    while (answers.length < slot) answers.push(undefined);
    answers[slot] = found;
    return found;
  }

  private match(bucket: Bucket<R>, slot: number, device: DeviceFacts): readonly R[] {
    const found = new Set<R>(bucket.all);
    for (const rule of bucket.byKind.get(device.kind) ?? NONE) found.add(rule);
    for (const rule of bucket.byDevice.get(this.ids[slot]) ?? NONE) found.add(rule);
    for (const areaId of device.areaIds) for (const rule of bucket.byArea.get(areaId) ?? NONE) found.add(rule);
    if (bucket.polygons.length > 0) {
      const inside = this.polygonsOf(slot, device);
      for (const rule of bucket.polygons) if (inside.has(rule)) found.add(rule);
    }
    if (found.size === 0) return NONE;
    const list = [...found];
    const key = list.map((rule) => this.ruleNumbers.get(rule)).join(' ');
    const same = this.shared.get(key);
    if (same) return same;
    this.shared.set(key, list);
    return list;
  }

  /** Every polygon rule containing the device, tested once per device. */
  private polygonsOf(slot: number, device: DeviceFacts): ReadonlySet<R> {
    let inside = this.insidePolygons[slot];
    if (inside) return inside;
    const { lat, lng } = device;
    inside = new Set(
      lat === null || lng === null
        ? []
        : this.polygonRules.filter(({ definition: { scope } }) =>
            scope.type === 'polygon' && booleanPointInPolygon([lng, lat], { type: 'Polygon', coordinates: [scope.polygon] }),
          ),
    );
    this.insidePolygons[slot] = inside;
    return inside;
  }
}

import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { AlertCondition, AlertRuleDefinition, DeviceKind } from '@ioc/contracts';
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
const eventKey = (eventType: string) => `#event:${eventType}`;

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

/** The rules of one key, by scope. */
class Bucket<R> {
  readonly all: R[] = [];
  readonly byKind = new Map<string, R[]>();
  readonly byDevice = new Map<string, R[]>();
  readonly byArea = new Map<string, R[]>();
  readonly polygons: R[] = [];
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
 */
export class RuleIndex<R extends IndexableRule> {
  private buckets = new Map<string, Bucket<R>>();
  private polygonRules: R[] = [];
  private readonly byDevice = new Map<string, Map<string, readonly R[]>>();
  private readonly insidePolygons = new Map<string, ReadonlySet<R>>();

  constructor(
    rules: readonly R[],
    private readonly lookup: (deviceId: string) => DeviceFacts | undefined,
  ) {
    this.setRules(rules);
  }

  /** Replaces every rule; what was cached per device is forgotten. */
  setRules(rules: readonly R[]): void {
    this.buckets = new Map();
    this.polygonRules = [];
    this.byDevice.clear();
    this.insidePolygons.clear();
    for (const rule of rules) {
      if (!rule.definition.enabled) continue;
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

  /** A device's kind, areas or position changed, or it was removed. */
  forgetDevice(deviceId: string): void {
    this.byDevice.delete(deviceId);
    this.insidePolygons.delete(deviceId);
  }

  /** The enabled rules with a condition on `key` (see inputKey) whose scope holds the device. */
  candidates(deviceId: string, key: string): readonly R[] {
    const cached = this.byDevice.get(deviceId)?.get(key);
    if (cached) return cached;
    const device = this.lookup(deviceId);
    if (!device) return NONE;
    const bucket = this.buckets.get(key);
    const found = bucket ? this.match(bucket, deviceId, device) : NONE;
    let perKey = this.byDevice.get(deviceId);
    if (!perKey) this.byDevice.set(deviceId, (perKey = new Map()));
    perKey.set(key, found);
    return found;
  }

  private match(bucket: Bucket<R>, deviceId: string, device: DeviceFacts): readonly R[] {
    const found = new Set<R>(bucket.all);
    for (const rule of bucket.byKind.get(device.kind) ?? NONE) found.add(rule);
    for (const rule of bucket.byDevice.get(deviceId) ?? NONE) found.add(rule);
    for (const areaId of device.areaIds) for (const rule of bucket.byArea.get(areaId) ?? NONE) found.add(rule);
    if (bucket.polygons.length > 0) {
      const inside = this.polygonsOf(deviceId, device);
      for (const rule of bucket.polygons) if (inside.has(rule)) found.add(rule);
    }
    return found.size === 0 ? NONE : [...found];
  }

  /** Every polygon rule containing the device, tested once per device. */
  private polygonsOf(deviceId: string, device: DeviceFacts): ReadonlySet<R> {
    let inside = this.insidePolygons.get(deviceId);
    if (inside) return inside;
    const { lat, lng } = device;
    inside = new Set(
      lat === null || lng === null
        ? []
        : this.polygonRules.filter(({ definition: { scope } }) =>
            scope.type === 'polygon' && booleanPointInPolygon([lng, lat], { type: 'Polygon', coordinates: [scope.polygon] }),
          ),
    );
    this.insidePolygons.set(deviceId, inside);
    return inside;
  }
}

import { Injectable } from '@nestjs/common';
import { STATUS_EVENT_TYPES, type AlertCondition, type AlertRuleDefinition } from '@ioc/contracts';
import { ErrorCode, IocError } from '@ioc/common';
import { DevicesService, MetricsService, type DeviceRecord } from '@ioc/devices';
import { ReplayRepository, type StoredEventRow, type StoredSeries } from '@ioc/storage';
import type { AlertInput } from './input';
import { conditionKey, RuleIndex } from './rule-index';

/** Devices read together: one round trip for their samples, memory for their arrays only. */
const DEVICES_PER_READ = 50;

/** Stored history as the inputs a rule's conditions would have seen, for replays and for warming the live states after a start. */
@Injectable()
export class HistoryInputs {
  constructor(
    private readonly devices: DevicesService,
    private readonly metrics: MetricsService,
    private readonly history: ReplayRepository,
  ) {}

  /** The registered devices the rule's scope holds, found the way the live index finds them. */
  devicesInScope(rule: Pick<AlertRuleDefinition, 'scope' | 'conditions'>): DeviceRecord[] {
    const index = new RuleIndex([{ definition: { ...rule, enabled: true } }], (id) => this.devices.get(id));
    const keys = [...new Set(rule.conditions.map(conditionKey))];
    return [...this.devices.all()].filter((d) => keys.some((key) => index.candidates(d.id, key).length > 0));
  }

  /** Each device's inputs in [from, to), in time order, a batch of devices at a time. */
  async forEachDevice(
    rule: Pick<AlertRuleDefinition, 'conditions'>,
    devices: readonly DeviceRecord[],
    from: Date,
    to: Date,
    visit: (device: DeviceRecord, inputs: AlertInput[]) => void,
  ): Promise<void> {
    const metricIds = new Map(metricsOf(rule.conditions).map((name) => [this.metricId(name), name] as const));
    const eventTypes = [...new Set(rule.conditions.flatMap((c) => (c.kind === 'camera_event' ? [c.eventType] : [])))];
    const watchesStatus = rule.conditions.some((c) => c.kind === 'offline');
    for (let i = 0; i < devices.length; i += DEVICES_PER_READ) {
      const batch = devices.slice(i, i + DEVICES_PER_READ);
      const keys = batch.map((d) => d.key);
      const [series, events] = await Promise.all([
        metricIds.size > 0 ? this.history.samples(keys, [...metricIds.keys()], from, to) : [],
        eventTypes.length > 0 || watchesStatus
          ? this.history.events(keys, [...eventTypes, ...(watchesStatus ? STATUS_EVENT_TYPES : [])], watchesStatus ? STATUS_EVENT_TYPES : [], from, to)
          : [],
      ]);
      for (const device of batch) {
        visit(
          device,
          toInputs(
            series.filter((s) => s.deviceKey === device.key),
            events.filter((e) => e.deviceKey === device.key),
            metricIds,
          ),
        );
      }
    }
  }

  /** A rule on a metric outside the catalogue could never fire, live or replayed. */
  private metricId(name: string): number {
    const metric = this.metrics.catalogue.get(name);
    if (!metric) throw new IocError(ErrorCode.Invalid, `rule.conditions: metric ${name} is not in the metric catalogue (GET /api/metrics)`);
    return metric.id;
  }
}

function metricsOf(conditions: readonly AlertCondition[]): string[] {
  return [...new Set(conditions.flatMap((c) => ('metric' in c ? [c.metric] : [])))];
}

/** A device's samples and events as one stream of inputs in time order. */
function toInputs(series: readonly StoredSeries[], events: readonly StoredEventRow[], metricNames: ReadonlyMap<number, string>): AlertInput[] {
  const inputs: AlertInput[] = [];
  // Events first: the sort is stable, so a status carried to the start comes before what happened at that instant.
  for (const e of events) {
    inputs.push(
      (STATUS_EVENT_TYPES as readonly string[]).includes(e.type)
        ? { type: 'status', online: e.type === 'went_online', time: e.time }
        : { type: 'event', eventType: e.type, confidence: e.confidence, time: e.time },
    );
  }
  for (const s of series) {
    const metric = metricNames.get(s.metricId)!;
    for (let i = 0; i < s.times.length; i++) inputs.push({ type: 'sample', metric, value: s.values[i], time: s.times[i] });
  }
  return inputs.sort((a, b) => a.time - b.time);
}

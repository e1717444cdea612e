import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import {
  BACKTEST_MAX_INCIDENTS,
  STATUS_EVENT_TYPES,
  type AlertCondition,
  type AlertRuleDefinition,
  type BacktestRequest,
  type BacktestResultDto,
} from '@ioc/contracts';
import { ErrorCode, IocError } from '@ioc/common';
import { DevicesService, MetricsService, type DeviceRecord } from '@ioc/devices';
import { ReplayRepository, type StoredEventRow, type StoredSeries } from '@ioc/storage';
import type { AlertInput } from '../input';
import { conditionKey, RuleIndex } from '../rule-index';
import { groupFirings, replayDevice, type Firing } from './replay';

/** Devices read and replayed together: one round trip for their samples, memory for their arrays only. */
const DEVICES_PER_READ = 50;

/**
 * Replays a rule draft over stored history, device by device, with the evaluators the live
 * service runs, and answers the incidents it would have opened. Nothing is written.
 */
@Injectable()
export class BacktestService {
  constructor(
    private readonly devices: DevicesService,
    private readonly metrics: MetricsService,
    private readonly history: ReplayRepository,
  ) {}

  async run({ rule, from, to }: BacktestRequest): Promise<BacktestResultDto> {
    const started = performance.now();
    const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
    const metricIds = new Map(this.metricsOf(rule).map((name) => [this.metricId(name), name] as const));
    const eventTypes = [...new Set(rule.conditions.flatMap((c) => (c.kind === 'camera_event' ? [c.eventType] : [])))];
    const watchesStatus = rule.conditions.some((c) => c.kind === 'offline');
    const inScope = this.devicesInScope(rule);

    const firings: Firing[] = [];
    let inputs = 0;
    for (let i = 0; i < inScope.length; i += DEVICES_PER_READ) {
      const batch = inScope.slice(i, i + DEVICES_PER_READ);
      const keys = batch.map((d) => d.key);
      const [series, events] = await Promise.all([
        metricIds.size > 0 ? this.history.samples(keys, [...metricIds.keys()], new Date(fromMs), new Date(toMs)) : [],
        eventTypes.length > 0 || watchesStatus
          ? this.history.events(keys, [...eventTypes, ...(watchesStatus ? STATUS_EVENT_TYPES : [])], watchesStatus ? STATUS_EVENT_TYPES : [], new Date(fromMs), new Date(toMs))
          : [],
      ]);
      for (const device of batch) {
        const own = toInputs(
          series.filter((s) => s.deviceKey === device.key),
          events.filter((e) => e.deviceKey === device.key),
          metricIds,
        );
        inputs += own.length;
        firings.push(...replayDevice(rule, device.id, own, fromMs, toMs));
      }
    }

    const damping = rule.dampingS * 1000;
    const incidents =
      rule.grouping === 'area'
        ? groupFirings(firings, damping)
        : inScope.flatMap((d) => groupFirings(firings.filter((f) => f.deviceId === d.id), damping));
    incidents.sort((a, b) => a.from - b.from);
    const areaId = rule.grouping === 'area' && rule.scope.type === 'area' ? rule.scope.areaId : null;
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      devices: inScope.length,
      inputs,
      incidentCount: incidents.length,
      incidents: incidents.slice(0, BACKTEST_MAX_INCIDENTS).map((incident) => ({
        deviceIds: incident.deviceIds,
        areaId,
        openedAt: new Date(incident.from).toISOString(),
        closedAt: incident.to === null ? null : new Date(incident.to).toISOString(),
        durationS: Math.round(((incident.to ?? toMs) - incident.from) / 1000),
        value: incident.value,
        fires: incident.fires,
      })),
      tookMs: Math.round(performance.now() - started),
    };
  }

  private metricsOf(rule: AlertRuleDefinition): string[] {
    return [...new Set(rule.conditions.flatMap((c: AlertCondition) => ('metric' in c ? [c.metric] : [])))];
  }

  /** A rule on a metric outside the catalogue could never fire, live or replayed. */
  private metricId(name: string): number {
    const metric = this.metrics.catalogue.get(name);
    if (!metric) throw new IocError(ErrorCode.Invalid, `rule.conditions: metric ${name} is not in the metric catalogue (GET /api/metrics)`);
    return metric.id;
  }

  /** The registered devices the rule's scope holds, found the way the live index finds them. */
  private devicesInScope(rule: AlertRuleDefinition): DeviceRecord[] {
    const index = new RuleIndex([{ definition: { ...rule, enabled: true } }], (id) => this.devices.get(id));
    const keys = [...new Set(rule.conditions.map(conditionKey))];
    return [...this.devices.all()].filter((d) => keys.some((key) => index.candidates(d.id, key).length > 0));
  }
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

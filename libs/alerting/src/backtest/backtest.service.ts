import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { BACKTEST_MAX_INCIDENTS, type BacktestRequest, type BacktestResultDto } from '@ioc/contracts';
import { HistoryInputs } from '../history-inputs';
import { groupFirings, replayDevice, type Firing } from './replay';

/**
 * Replays a rule draft over stored history, device by device, with the evaluators the live
 * service runs, and answers the incidents it would have opened. Nothing is written.
 */
@Injectable()
export class BacktestService {
  constructor(private readonly history: HistoryInputs) {}

  async run({ rule, from, to }: BacktestRequest): Promise<BacktestResultDto> {
    const started = performance.now();
    const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
    const inScope = this.history.devicesInScope(rule);
    const firings: Firing[] = [];
    let inputs = 0;
    await this.history.forEachDevice(rule, inScope, new Date(fromMs), new Date(toMs), (device, own) => {
      inputs += own.length;
      firings.push(...replayDevice(rule, device.id, own, fromMs, toMs));
    });

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
}

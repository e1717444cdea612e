import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AlertDto, CreateRule, ListAlertsQuery, RuleDto, UpdateRule } from '@ioc/contracts';
import { ErrorCode, EventBus, IocError, type ResolvedSample } from '@ioc/common';
import { MetricsService } from '@ioc/devices';
import { RulesRepository } from './rules.repository';
import { applies, evaluateThreshold } from './threshold.rule';

interface AlertState {
  open: boolean;
  /** Database work for this (rule, device), in order; resolves to the open alert's id. */
  alertId: Promise<number | null>;
}

/**
 * Rules are data, hot-reloaded on every change. State per (rule, device) lives in memory so a
 * sample costs no database round trip; only transitions are written.
 */
@Injectable()
export class RulesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RulesService.name);
  private rules: RuleDto[] = [];
  private byMetric = new Map<string, RuleDto[]>();
  private readonly states = new Map<string, AlertState>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly repository: RulesRepository,
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.index(await this.repository.findRules());
    for (const alert of await this.repository.findAlerts({ state: 'open', limit: 100_000 })) {
      if (alert.ruleId !== null) {
        this.states.set(key(alert.ruleId, alert.deviceId), { open: true, alertId: Promise.resolve(alert.id) });
      }
    }
    this.unsubscribe = this.bus.on('samples.accepted', (samples) => this.evaluate(samples));
    this.logger.log(`${this.rules.length} rules, ${this.states.size} open alerts`);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  list(): RuleDto[] {
    return this.rules;
  }

  async create(input: CreateRule): Promise<RuleDto> {
    this.requireMetric(input.metric);
    const rule = await this.repository.insertRule(input);
    this.index([...this.rules, rule]);
    return rule;
  }

  async update(id: number, patch: UpdateRule): Promise<RuleDto> {
    const current = this.rules.find((r) => r.id === id);
    if (!current) throw notFound(id);
    if (patch.metric !== undefined) this.requireMetric(patch.metric);
    const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = current;
    const updated = await this.repository.updateRule(id, { ...fields, ...patch });
    if (!updated) throw notFound(id);
    this.index(this.rules.map((r) => (r.id === id ? updated : r)));
    if (!updated.enabled) await this.resolveAllOf(id);
    return updated;
  }

  async remove(id: number): Promise<void> {
    await this.resolveAllOf(id);
    if (!(await this.repository.deleteRule(id))) throw notFound(id);
    this.index(this.rules.filter((r) => r.id !== id));
  }

  alerts(query: ListAlertsQuery): Promise<AlertDto[]> {
    return this.repository.findAlerts(query);
  }

  /** Hot path: O(rules on the sample's metric) per sample. */
  evaluate(samples: readonly ResolvedSample[]): void {
    for (const sample of samples) {
      const candidates = this.byMetric.get(sample.metric);
      if (!candidates) continue;
      for (const rule of candidates) {
        if (!applies(rule, sample, sample.device.kind)) continue;
        const k = key(rule.id, sample.deviceId);
        const state = this.states.get(k) ?? { open: false, alertId: Promise.resolve(null) };
        const transition = evaluateThreshold(rule, state.open, sample.value);
        if (transition === 'open') this.open(k, state, rule, sample);
        else if (transition === 'resolve') this.resolve(k, state, new Date(sample.ts));
      }
    }
  }

  private open(k: string, state: AlertState, rule: RuleDto, sample: ResolvedSample): void {
    const alertId = state.alertId.then(async () => {
      const alert = await this.repository.openAlert(rule, sample.deviceId, sample.value, new Date(sample.ts));
      this.bus.emit('alert.opened', alert, sample.device);
      return alert.id;
    });
    this.states.set(k, { open: true, alertId: this.guard(alertId, `open ${k}`) });
  }

  private resolve(k: string, state: AlertState, at: Date): void {
    const done = state.alertId.then(async (id) => {
      if (id === null) return null;
      const alert = await this.repository.resolveAlert(id, at);
      if (alert) this.bus.emit('alert.resolved', alert);
      return null;
    });
    this.states.set(k, { open: false, alertId: this.guard(done, `resolve ${k}`) });
  }

  private async resolveAllOf(ruleId: number): Promise<void> {
    const now = new Date();
    const pending: Promise<unknown>[] = [];
    for (const [k, state] of this.states) {
      if (!k.startsWith(`${ruleId}:`) || !state.open) continue;
      this.resolve(k, state, now);
      pending.push(this.states.get(k)!.alertId);
    }
    await Promise.all(pending);
  }

  /** A rule on a metric outside the catalogue could never fire. */
  private requireMetric(metric: string): void {
    if (!this.metrics.catalogue.get(metric)) {
      throw new IocError(ErrorCode.Invalid, `metric: ${metric} is not in the metric catalogue (GET /api/metrics)`);
    }
  }

  private guard(p: Promise<number | null>, what: string): Promise<number | null> {
    return p.catch((err: Error) => {
      this.logger.error(`alert ${what} not saved: ${err.message}`);
      return null;
    });
  }

  private index(rules: RuleDto[]): void {
    this.rules = rules;
    this.byMetric = new Map();
    for (const rule of rules) {
      if (!rule.enabled) continue;
      this.byMetric.set(rule.metric, [...(this.byMetric.get(rule.metric) ?? []), rule]);
    }
  }
}

const key = (ruleId: number, deviceId: string) => `${ruleId}:${deviceId}`;

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `rule ${id} does not exist`);
}

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  alertRuleSchema,
  type AlertDto,
  type AlertRuleDefinition,
  type AlertRuleDefinitionInput,
  type ListAlertsQuery,
  type RuleDto,
  type RuleVersionDto,
  type UpdateAlertRule,
} from '@ioc/contracts';
import { ErrorCode, IocError, ZodValidationPipe } from '@ioc/common';
import { AreasService } from '@ioc/areas';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { DevicesService, MetricsService } from '@ioc/devices';
import { AlertingService } from './alerting.service';
import { AlertsRepository } from './alerts.repository';
import { RulesRepository } from './rules.repository';

const checkRule = new ZodValidationPipe(alertRuleSchema);

/** Rules as data: checked against the registry, versioned on every change, applied to the live stream at once. */
@Injectable()
export class RulesService implements OnModuleInit {
  private rules: RuleDto[] = [];

  constructor(
    private readonly repository: RulesRepository,
    private readonly alerts: AlertsRepository,
    private readonly live: AlertingService,
    private readonly metrics: MetricsService,
    private readonly areas: AreasService,
    private readonly devices: DevicesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Rules are evaluated where the samples arrive: a node without ingest would see every device silent. */
  async onModuleInit(): Promise<void> {
    this.rules = await this.repository.findAll();
    if (this.config.IOC_ROLES.includes('ingest')) await this.live.start(this.rules);
  }

  list(): RuleDto[] {
    return this.rules;
  }

  get(id: number): RuleDto {
    const rule = this.rules.find((r) => r.id === id);
    if (!rule) throw notFound(id);
    return rule;
  }

  async versions(id: number): Promise<RuleVersionDto[]> {
    const versions = await this.repository.versions(id);
    if (versions.length === 0) throw notFound(id);
    return versions;
  }

  async create(definition: AlertRuleDefinition, by: string): Promise<RuleDto> {
    this.requireKnown(definition);
    const rule = await this.repository.insert(definition, by);
    this.rules = [...this.rules, rule];
    await this.live.ruleSaved(rule);
    return rule;
  }

  /** Only the fields given change; the merged rule is checked whole, as a new one would be. */
  async update(id: number, patch: UpdateAlertRule, by: string): Promise<RuleDto> {
    const { id: _id, version: _v, createdAt: _c, updatedAt: _u, updatedBy: _b, ...current } = this.get(id);
    const merged: AlertRuleDefinitionInput = { ...current, ...patch };
    const definition = checkRule.transform(merged);
    this.requireKnown(definition);
    const rule = await this.repository.update(id, definition, by);
    if (!rule) throw notFound(id);
    this.rules = this.rules.map((r) => (r.id === id ? rule : r));
    await this.live.ruleSaved(rule);
    return rule;
  }

  async remove(id: number, by: string): Promise<void> {
    if (!(await this.repository.markDeleted(id, by))) throw notFound(id);
    this.rules = this.rules.filter((r) => r.id !== id);
    await this.live.ruleDeleted(id);
  }

  alertList(query: ListAlertsQuery): Promise<AlertDto[]> {
    return this.alerts.findAlerts(query);
  }

  /** A rule naming what does not exist would never fire: refused with what is wrong. */
  private requireKnown(rule: AlertRuleDefinition): void {
    for (const [i, c] of rule.conditions.entries()) {
      if ('metric' in c && !this.metrics.catalogue.get(c.metric)) {
        throw new IocError(ErrorCode.Invalid, `conditions.${i}.metric: ${c.metric} is not in the metric catalogue (GET /api/metrics)`);
      }
    }
    const { scope } = rule;
    if (scope.type === 'area' && this.areas.refs([scope.areaId]).length === 0) {
      throw new IocError(ErrorCode.Invalid, `scope.areaId: there is no area ${scope.areaId} (GET /api/areas)`);
    }
    if (scope.type === 'devices') {
      const unknown = scope.deviceIds.filter((id) => !this.devices.get(id));
      if (unknown.length > 0) throw new IocError(ErrorCode.Invalid, `scope.deviceIds: no device ${unknown.slice(0, 10).join(', ')}`);
    }
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `rule ${id} does not exist`);
}

export type { AlertInput, ConditionResult } from './input';
export type { ConditionState } from './condition';
export { evaluateRule, initialRuleState, type EvaluatedRule, type RuleResult, type RuleState, type RuleTransition } from './rule';
export { RuleIndex, inputKey, type DeviceFacts, type IndexableRule } from './rule-index';
export { formatNumber, renderMessage, type MessageLanguage, type MessageValues } from './message';
export { AlertingModule } from './alerting.module';
export { BacktestController } from './backtest/backtest.controller';
export { AlertsController, RulesController } from './live/rules.controller';
export { AlertingService } from './live/alerting.service';

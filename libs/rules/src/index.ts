export { RulesModule } from './rules.module';
export { RulesService } from './rules.service';
export { RulesController, AlertsController } from './rules.controller';
export { evaluateThreshold, applies, type ThresholdRule, type Transition } from './threshold.rule';

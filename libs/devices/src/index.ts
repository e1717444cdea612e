export { DevicesModule } from './devices.module';
export { DevicesService, type StatusTransition } from './devices.service';
export type { DeviceRecord } from './devices.repository';
export { DevicesController, deviceId } from './devices.controller';
export { BrokerHooksController } from './broker-hooks.controller';
export { BrokerRefusals } from './broker-refusals';
export { MetricsService } from './metrics.service';
export { MetricsController } from './metrics.controller';
export { MetricCatalogue, builtInMetrics, type CatalogueMetric, type KindOverrides } from './metric-catalogue';

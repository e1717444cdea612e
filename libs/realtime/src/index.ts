export { RealtimeModule } from './realtime.module';
export { TelemetryCoalescer } from './telemetry-coalescer';

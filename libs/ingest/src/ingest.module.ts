import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { MqttModule } from '@ioc/mqtt';
import { DeadLettersRepository } from './dead-letters.repository';
import { IngestService } from './ingest.service';
import { TelemetryRepository } from './telemetry.repository';

/** The MQTT hot path. Only in processes with the `ingest` role. */
@Module({
  imports: [MqttModule, DevicesModule],
  providers: [IngestService, TelemetryRepository, DeadLettersRepository],
  exports: [IngestService, MqttModule],
})
export class IngestModule {}

/** Reading dead letters needs no broker; any `api` process serves it. */
@Module({
  providers: [DeadLettersRepository],
  exports: [DeadLettersRepository],
})
export class DeadLettersModule {}

import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { MqttModule } from '@ioc/mqtt';
import { StorageWriteModule } from '@ioc/storage';
import { IngestService } from './ingest.service';

/** The MQTT hot path. Only in processes with the `ingest` role. */
@Module({
  imports: [MqttModule, DevicesModule, StorageWriteModule],
  providers: [IngestService],
  exports: [IngestService, MqttModule],
})
export class IngestModule {}

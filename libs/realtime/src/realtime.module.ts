import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { RealtimeGateway } from './realtime.gateway';

/** Only in processes with the `realtime` role. */
@Module({ imports: [DevicesModule], providers: [RealtimeGateway] })
export class RealtimeModule {}

import { Module } from '@nestjs/common';
import { RealtimeGateway } from './realtime.gateway';

/** Only in processes with the `realtime` role. */
@Module({ providers: [RealtimeGateway] })
export class RealtimeModule {}

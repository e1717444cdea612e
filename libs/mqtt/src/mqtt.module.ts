import { hostname } from 'node:os';
import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus } from '@ioc/common';
import { DevicesModule, DevicesService } from '@ioc/devices';
import { EmbeddedBroker } from './embedded-broker';
import { ExternalBroker } from './external-broker';

export const MQTT_TRANSPORT = Symbol('MQTT_TRANSPORT');

@Module({
  imports: [DevicesModule],
  providers: [
    {
      provide: MQTT_TRANSPORT,
      inject: [APP_CONFIG, DevicesService, EventBus],
      useFactory: (config: AppConfig, devices: DevicesService, bus: EventBus) => {
        const logger = new Logger('MQTT');
        const log = (line: string) => logger.log(line);
        const transport = config.MQTT_URL
          ? new ExternalBroker({
              url: config.MQTT_URL,
              clientId: config.MQTT_CLIENT_ID ?? `ioc-${hostname()}-${config.PORT}`,
              sharedGroup: config.MQTT_SHARED_GROUP,
              sessionExpiryS: config.MQTT_SESSION_EXPIRY_S,
              log,
            })
          : new EmbeddedBroker({
              host: config.HOST,
              port: config.MQTT_PORT,
              wsPort: config.MQTT_WS_PORT,
              auth: devices,
              log,
            });
        bus.on('device.credentials.revoked', (id) => transport.disconnect(id));
        return transport;
      },
    },
  ],
  exports: [MQTT_TRANSPORT],
})
export class MqttModule {}

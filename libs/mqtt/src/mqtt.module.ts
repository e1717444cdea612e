import { hostname } from 'node:os';
import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus } from '@ioc/common';
import { BrokerRefusals, DevicesModule, DevicesService } from '@ioc/devices';
import { EmbeddedBroker } from './embedded-broker';
import { ExternalBroker } from './external-broker';

export const MQTT_TRANSPORT = Symbol('MQTT_TRANSPORT');

/** Room beside a payload in a PUBLISH: the longest topic MQTT allows (64 KiB), its length, the packet id. */
export const PACKET_HEADER_ROOM_BYTES = 65_536 + 4;

@Module({
  imports: [DevicesModule],
  providers: [
    {
      provide: MQTT_TRANSPORT,
      inject: [APP_CONFIG, DevicesService, BrokerRefusals, EventBus],
      useFactory: (config: AppConfig, devices: DevicesService, refusals: BrokerRefusals, bus: EventBus) => {
        const logger = new Logger('MQTT');
        const log = (line: string) => logger.log(line);
        const transport = config.MQTT_URL
          ? new ExternalBroker({
              url: config.MQTT_URL,
              clientId: config.MQTT_CLIENT_ID ?? `ioc-${hostname()}-${config.PORT}`,
              sharedGroup: config.MQTT_SHARED_GROUP,
              sessionExpiryS: config.MQTT_SESSION_EXPIRY_S,
              refusals,
              log,
            })
          : new EmbeddedBroker({
              host: config.HOST,
              port: config.MQTT_PORT,
              wsPort: config.MQTT_WS_PORT,
              auth: devices,
              limits: {
                connectBytes: config.MQTT_MAX_CONNECT_BYTES,
                // Larger payloads still arrive, to become dead letters (payload_too_large).
                packetBytes: config.MQTT_MAX_PAYLOAD_BYTES + PACKET_HEADER_ROOM_BYTES,
              },
              refusals,
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

import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EmbeddedBroker } from './embedded-broker';
import { ExternalBroker } from './external-broker';

export const MQTT_TRANSPORT = Symbol('MQTT_TRANSPORT');

@Module({
  providers: [
    {
      provide: MQTT_TRANSPORT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('MQTT');
        const log = (line: string) => logger.log(line);
        return config.MQTT_URL
          ? new ExternalBroker({ url: config.MQTT_URL, log })
          : new EmbeddedBroker({
              host: config.HOST,
              port: config.MQTT_PORT,
              wsPort: config.MQTT_WS_PORT,
              log,
            });
      },
    },
  ],
  exports: [MQTT_TRANSPORT],
})
export class MqttModule {}

import { Injectable } from '@nestjs/common';
import type { MqttRefusalCounts } from '@ioc/contracts';

/**
 * What the MQTT side refused since start, for GET /api/health: counted by the embedded broker, or
 * by the hooks an external broker calls.
 */
@Injectable()
export class BrokerRefusals {
  private readonly counts: MqttRefusalCounts = { logins: 0, publishes: 0, oversize: 0 };

  count(kind: keyof MqttRefusalCounts): void {
    this.counts[kind]++;
  }

  snapshot(): MqttRefusalCounts {
    return { ...this.counts };
  }
}

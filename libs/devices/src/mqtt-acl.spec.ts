import { mayPublish, maySubscribe, type MqttIdentity } from './mqtt-acl';

const sensor: MqttIdentity = { id: 'mt-wl-01', kind: 'water_level' };
const gateway: MqttIdentity = { id: 'gw-01', kind: 'gateway' };
const children: Record<string, string> = { 'mt-aq-07': 'gw-01', 'mt-aq-08': 'gw-02' };
const isChildOf = (child: string, gw: string) => children[child] === gw;

describe('mayPublish', () => {
  it.each([
    [sensor, 'ioc/v1/mt-wl-01/telemetry', true],
    [sensor, 'ioc/v1/mt-wl-01/status', true],
    [sensor, 'ioc/v1/mt-wl-01/event', true],
    [sensor, 'ioc/v1/mt-wl-01/command/ack', true],
    [sensor, 'ioc/v1/mt-wl-02/telemetry', false],
    [sensor, 'ioc/v1/mt-wl-01/command', false],
    [sensor, 'ioc/v1/gateway/mt-wl-01/telemetry', false],
    [sensor, 'ioc/v1/mt-aq-07/telemetry', false],
    [sensor, '$SYS/broker/uptime', false],
    [sensor, 'other/mt-wl-01/telemetry', false],
    [gateway, 'ioc/v1/gateway/gw-01/telemetry', true],
    [gateway, 'ioc/v1/gateway/gw-02/telemetry', false],
    [gateway, 'ioc/v1/mt-aq-07/telemetry', true],
    [gateway, 'ioc/v1/mt-aq-07/status', true],
    [gateway, 'ioc/v1/mt-aq-08/telemetry', false],
    [gateway, 'ioc/v1/mt-wl-01/telemetry', false],
  ] as const)('%o on %s: %s', (device, topic, allowed) => {
    expect(mayPublish(device, topic, isChildOf)).toBe(allowed);
  });
});

describe('maySubscribe', () => {
  it.each([
    [sensor, 'ioc/v1/mt-wl-01/command', true],
    [sensor, 'ioc/v1/mt-wl-02/command', false],
    [sensor, '#', false],
    [sensor, 'ioc/v1/+/command', false],
    [sensor, 'ioc/v1/mt-wl-01/#', false],
    [sensor, 'ioc/v1/mt-wl-01/telemetry', false],
    [gateway, 'ioc/v1/gw-01/command', true],
    [gateway, 'ioc/v1/mt-aq-07/command', true],
    [gateway, 'ioc/v1/mt-aq-08/command', false],
    [gateway, 'ioc/v1/+/command', false],
  ] as const)('%o to %s: %s', (device, filter, allowed) => {
    expect(maySubscribe(device, filter, isChildOf)).toBe(allowed);
  });
});

export { MqttModule, MQTT_TRANSPORT } from './mqtt.module';
export type { InboundMessage, InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';

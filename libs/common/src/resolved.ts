import type { DeviceKind, Sample } from '@ioc/contracts';

/** A registered device as the hot path carries it: resolved once, when its message is decoded. */
export interface ResolvedDevice {
  readonly id: string;
  /** The compact key its rows are stored under. */
  readonly key: number;
  readonly kind: DeviceKind;
  readonly name: string;
  readonly areaIds: readonly string[];
  readonly gatewayId: string | null;
}

/** A sample with its device and its metric's id resolved: nothing downstream looks either up again. */
export interface ResolvedSample<D extends ResolvedDevice = ResolvedDevice> extends Sample {
  device: D;
  metricId: number;
}

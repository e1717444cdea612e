import type { DeviceDto } from '@ioc/contracts';
import type { LatLngTuple, Marker as LeafletMarker } from 'leaflet';
import { memo, useCallback, useMemo } from 'react';
import { Marker, Popup } from 'react-leaflet';
import { formatMetricNumber, metricUnit, type Language } from '../format/format';
import { primaryMetric, type DisplayStatus } from '../state/device-display';
import { deviceIcon } from './device-icon';
import { DevicePopup } from './device-popup';

interface DeviceMarkerProps {
  device: DeviceDto;
  status: DisplayStatus;
  showValue: boolean;
  language: Language;
  onMarker: (deviceId: string, marker: LeafletMarker | null) => void;
}

/** Alerting devices stay on top of their neighbours. */
const ALERTING_Z_OFFSET = 1000;

export const DeviceMarker = memo(function DeviceMarker({ device, status, showValue, language, onMarker }: DeviceMarkerProps) {
  const metric = showValue ? primaryMetric(device) : null;
  const number = metric === null ? null : formatMetricNumber(metric, device.latest[metric].value, language);
  const unit = metric === null ? '' : metricUnit(metric);

  const icon = useMemo(
    () => deviceIcon({ deviceId: device.id, kind: device.kind, status, reading: number === null ? null : { number, unit } }),
    [device.id, device.kind, status, number, unit],
  );
  const position = useMemo<LatLngTuple>(() => [device.lat, device.lng], [device.lat, device.lng]);
  const register = useCallback(
    (marker: LeafletMarker | null) => {
      onMarker(device.id, marker);
    },
    [device.id, onMarker],
  );

  return (
    <Marker
      ref={register}
      position={position}
      icon={icon}
      title={device.name}
      zIndexOffset={status === 'alerting' ? ALERTING_Z_OFFSET : 0}
    >
      <Popup>
        <DevicePopup device={device} status={status} />
      </Popup>
    </Marker>
  );
});

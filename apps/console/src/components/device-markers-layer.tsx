import type { DeviceDto } from '@ioc/contracts';
import type { Marker as LeafletMarker } from 'leaflet';
import { useState } from 'react';
import { useMap, useMapEvents } from 'react-leaflet';
import { useLanguage } from '../i18n/i18n';
import { displayStatus } from '../state/device-display';
import { DeviceMarker } from './device-marker';

/** From this zoom on, markers carry their main reading. */
export const VALUE_ZOOM = 13;

interface DeviceMarkersLayerProps {
  devices: DeviceDto[];
  alertingIds: Set<string>;
  now: number;
  onMarker: (deviceId: string, marker: LeafletMarker | null) => void;
}

export function DeviceMarkersLayer({ devices, alertingIds, now, onMarker }: DeviceMarkersLayerProps) {
  const map = useMap();
  const [zoom, setZoom] = useState(() => map.getZoom());
  useMapEvents({ zoomend: () => setZoom(map.getZoom()) });
  const language = useLanguage();
  const showValue = zoom >= VALUE_ZOOM;

  return devices.map((device) => (
    <DeviceMarker
      key={device.id}
      device={device}
      status={displayStatus(device, alertingIds.has(device.id), now)}
      showValue={showValue}
      language={language}
      onMarker={onMarker}
    />
  ));
}

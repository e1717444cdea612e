import type { AreaDto, ConsoleConfigDto, DeviceDto } from '@ioc/contracts';
import type { FeatureCollection, Geometry } from 'geojson';
import { geoJSON, type LatLngBounds, type Marker as LeafletMarker } from 'leaflet';
import { useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { MapContainer, TileLayer } from 'react-leaflet';
import countries from 'virtual:offline-basemap';
import type { Selection } from '../state/selection';
import { DeviceMarkersLayer } from './device-markers-layer';
import { MapFocus } from './map-focus';
import { MapLegend } from './map-legend';
import { OfflineBasemap } from './offline-basemap';
import { PilotAreasLayer } from './pilot-areas-layer';

interface OperationsMapProps {
  /** Null when the server did not give one: the map then frames the pilot areas (or Vietnam), without tiles. */
  config: ConsoleConfigDto | null;
  areas: AreaDto[];
  devices: DeviceDto[];
  alertingIds: Set<string>;
  now: number;
  selection: Selection | null;
  markers: RefObject<Map<string, LeafletMarker>>;
  onMarker: (deviceId: string, marker: LeafletMarker | null) => void;
}

/** Without a configured view: the pilot areas, or Vietnam when there are none. */
export function fallbackBounds(areas: AreaDto[]): LatLngBounds {
  const features: FeatureCollection['features'] =
    areas.length > 0
      ? areas.map((a) => ({ type: 'Feature', properties: {}, geometry: a.geometry as Geometry }))
      : countries.features.filter((f) => f.properties.home);
  return geoJSON({ type: 'FeatureCollection', features } as FeatureCollection).getBounds();
}

export function OperationsMap({ config, areas, devices, alertingIds, now, selection, markers, onMarker }: OperationsMapProps) {
  const { t } = useTranslation();
  const [tilesFailing, setTilesFailing] = useState(false);
  // Read once: MapContainer takes its first view only.
  const [bounds] = useState(() => (config ? undefined : fallbackBounds(areas)));

  return (
    <section className="operations-map" aria-label={t('app.mapTitle')}>
      <MapContainer
        className="operations-map__canvas"
        center={config?.center}
        zoom={config?.zoom}
        bounds={bounds}
      >
        <OfflineBasemap />
        {config && (
          <TileLayer
            url={config.tileUrl}
            attribution={config.tileAttribution}
            eventHandlers={{ tileerror: () => setTilesFailing(true), tileload: () => setTilesFailing(false) }}
          />
        )}
        <PilotAreasLayer areas={areas} />
        <DeviceMarkersLayer devices={devices} alertingIds={alertingIds} now={now} onMarker={onMarker} />
        <MapFocus selection={selection} markers={markers} />
      </MapContainer>
      <h2 className="operations-map__title">{t('app.mapTitle')}</h2>
      <MapLegend />
      {tilesFailing && (
        <p className="operations-map__notice" role="status">
          {t('map.tilesOffline')}
        </p>
      )}
    </section>
  );
}

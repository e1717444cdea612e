import type { ConsoleConfigDto } from '@ioc/contracts';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CircleMarker, MapContainer, TileLayer, useMap, useMapEvents } from 'react-leaflet';
import { reportsApi } from '../api/api-client';
import type { Place } from '../geo/distance';
import { BUNDLED_PILOT_AREAS } from '../geo/pilot-areas';
import { fallbackBounds } from './operations-map';
import { OfflineBasemap } from './offline-basemap';
import { PilotAreasLayer } from './pilot-areas-layer';

/** Close enough to point at a house or a lamp post. */
const PLACE_ZOOM = 16;
const LOCATE_TIMEOUT_MS = 20_000;

type Locating = 'idle' | 'busy' | 'denied' | 'unavailable';

interface LocationPickerProps {
  value: Place | null;
  onChange: (place: Place) => void;
  disabled: boolean;
  /** Shown with the map when the form is sent without a place. */
  invalid: boolean;
}

/** Where the problem is: the phone's position, or a tap on a small map that draws even without a tile server. */
export function LocationPicker({ value, onChange, disabled, invalid }: LocationPickerProps) {
  const { t } = useTranslation();
  const [config, setConfig] = useState<ConsoleConfigDto | null | undefined>(undefined);
  const [locating, setLocating] = useState<Locating>('idle');
  /** The phone's position, once found, to bring into view. */
  const [located, setLocated] = useState<Place | null>(null);

  useEffect(() => {
    reportsApi.consoleConfig().then(setConfig, () => setConfig(null));
  }, []);

  const locate = () => {
    if (!('geolocation' in navigator)) {
      setLocating('unavailable');
      return;
    }
    setLocating('busy');
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const place = { lat: position.coords.latitude, lng: position.coords.longitude };
        setLocating('idle');
        setLocated(place);
        onChange(place);
      },
      (error) => setLocating(error.code === error.PERMISSION_DENIED ? 'denied' : 'unavailable'),
      { enableHighAccuracy: true, timeout: LOCATE_TIMEOUT_MS, maximumAge: 60_000 },
    );
  };

  return (
    <fieldset className="report-field report-place" aria-invalid={invalid} data-testid="report-place">
      <legend className="report-field__label">{t('report.place')}</legend>
      <button type="button" className="citizen-button citizen-button--secondary" data-testid="use-my-location" disabled={disabled || locating === 'busy'} onClick={locate}>
        {t(locating === 'busy' ? 'report.locating' : 'report.useMyLocation')}
      </button>
      {(locating === 'denied' || locating === 'unavailable') && (
        <p className="report-field__problem" role="alert">
          {t(locating === 'denied' ? 'report.locationDenied' : 'report.locationUnavailable')}
        </p>
      )}
      <p className="report-field__hint">{t('report.placeHint')}</p>
      <div className="report-place__map" data-testid="report-map">
        {config !== undefined && (
          <MapContainer
            className="report-place__canvas"
            center={config?.center}
            zoom={config?.zoom}
            bounds={config ? undefined : fallbackBounds(BUNDLED_PILOT_AREAS)}
          >
            <OfflineBasemap />
            {config && <TileLayer url={config.tileUrl} attribution={config.tileAttribution} />}
            <PilotAreasLayer areas={BUNDLED_PILOT_AREAS} />
            <PickOnTap disabled={disabled} onPick={onChange} />
            <FlyTo place={located} />
            {value !== null && <CircleMarker center={[value.lat, value.lng]} radius={10} className="report-place__marker" />}
          </MapContainer>
        )}
      </div>
      <p className="report-place__chosen" data-testid="report-place-chosen" aria-live="polite">
        {value === null ? t('report.placeNone') : t('report.placeChosen', { lat: value.lat.toFixed(5), lng: value.lng.toFixed(5) })}
      </p>
    </fieldset>
  );
}

function PickOnTap({ disabled, onPick }: { disabled: boolean; onPick: (place: Place) => void }) {
  useMapEvents({
    click: (event) => {
      if (!disabled) onPick({ lat: event.latlng.lat, lng: event.latlng.lng });
    },
  });
  return null;
}

/** Shows the phone's position up close, so that a tap can correct it. */
function FlyTo({ place }: { place: Place | null }) {
  const map = useMap();
  useEffect(() => {
    if (place !== null) map.flyTo([place.lat, place.lng], Math.max(map.getZoom(), PLACE_ZOOM), { duration: 0.6 });
  }, [map, place]);
  return null;
}

import type { DeviceKind } from '@ioc/contracts';
import { divIcon, type DivIcon } from 'leaflet';
import type { DisplayStatus } from '../state/device-display';
import { unitClass } from './metric-reading';

/** One character per kind, from fonts every desktop has, so markers read the same offline. */
const KIND_GLYPHS: Record<DeviceKind, string> = {
  water_level: '≈',
  salinity: '‰',
  air_quality: 'A',
  weather: 'T',
  noise: 'N',
  traffic_camera: 'C',
  street_light: 'L',
  pa_speaker: 'P',
  gateway: 'G',
};

const MARKER_SIZE = 26;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface DeviceIconInput {
  deviceId: string;
  kind: DeviceKind;
  status: DisplayStatus;
  /** The main reading, formatted for the language, or null to show the glyph alone. */
  reading: { number: string; unit: string } | null;
}

export function deviceIcon({ deviceId, kind, status, reading }: DeviceIconInput): DivIcon {
  const value =
    reading === null
      ? ''
      : `<span class="device-marker__reading"><span data-testid="marker-value">${escapeHtml(reading.number)}</span>` +
        (reading.unit && `<span class="${unitClass(reading.unit)}">${escapeHtml(reading.unit)}</span>`) +
        '</span>';
  return divIcon({
    className: 'device-marker-icon',
    iconSize: [MARKER_SIZE, MARKER_SIZE],
    iconAnchor: [MARKER_SIZE / 2, MARKER_SIZE / 2],
    popupAnchor: [0, -MARKER_SIZE / 2],
    html:
      `<div class="device-marker device-marker--${status}" data-device-id="${escapeHtml(deviceId)}">` +
      `<span class="device-marker__glyph">${KIND_GLYPHS[kind]}</span>${value}</div>`,
  });
}

import type { Marker as LeafletMarker } from 'leaflet';
import { useEffect, type RefObject } from 'react';
import { useMap } from 'react-leaflet';
import type { Selection } from '../state/selection';

/** Close enough to tell neighbouring devices apart and to show readings on the markers. */
const FOCUS_ZOOM = 15;

interface MapFocusProps {
  selection: Selection | null;
  markers: RefObject<Map<string, LeafletMarker>>;
}

/** Flies to the selected device and opens its popup. */
export function MapFocus({ selection, markers }: MapFocusProps) {
  const map = useMap();
  useEffect(() => {
    const marker = selection && markers.current.get(selection.deviceId);
    if (!marker) return;
    const target = marker.getLatLng();
    const open = () => marker.openPopup();
    if (map.getZoom() >= FOCUS_ZOOM && map.getBounds().contains(target)) {
      open();
      return;
    }
    map.once('moveend', open);
    map.flyTo(target, Math.max(map.getZoom(), FOCUS_ZOOM), { duration: 0.8 });
    return () => {
      map.off('moveend', open);
    };
  }, [map, markers, selection]);
  return null;
}

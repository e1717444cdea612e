import type { PathOptions } from 'leaflet';
import { GeoJSON, Pane } from 'react-leaflet';
import countries from 'virtual:offline-basemap';

/** Natural Earth, via world-atlas. */
const ATTRIBUTION = '<a href="https://www.naturalearthdata.com/">Natural Earth</a>';

function countryStyle(feature?: { properties?: { home?: boolean } }): PathOptions {
  return { className: feature?.properties?.home ? 'basemap-land basemap-land--home' : 'basemap-land' };
}

/** Land drawn under the tiles, so the map keeps its shape when the tile server cannot be reached. */
export function OfflineBasemap() {
  return (
    <Pane name="offline-basemap" style={{ zIndex: '150' }}>
      <GeoJSON data={countries} style={countryStyle} interactive={false} attribution={ATTRIBUTION} />
    </Pane>
  );
}

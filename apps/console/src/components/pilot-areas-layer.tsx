import type { AreaDto, AreaLevel } from '@ioc/contracts';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { geoJSON, type Layer, type PathOptions, type Polygon } from 'leaflet';
import { useEffect } from 'react';
import { useMap } from 'react-leaflet';

/** Above the tiles and the land, below markers and popups. */
const PANE = 'pilot-areas';
const PANE_Z_INDEX = '450';

/** Smaller areas are labelled only once there is room for their names. */
const LABEL_MIN_ZOOM: Record<AreaLevel, number> = { province: 8, district: 10, commune: 12, ward: 12, zone: 13 };

type AreaProperties = Pick<AreaDto, 'id' | 'name' | 'level'>;

function toFeature({ id, name, level, geometry }: AreaDto): Feature<Geometry, AreaProperties> {
  return { type: 'Feature', properties: { id, name, level }, geometry: geometry as Geometry };
}

function outlineStyle(feature?: Feature<Geometry, AreaProperties>): PathOptions {
  return { className: `pilot-outline pilot-outline--${feature?.properties.level ?? 'zone'}` };
}

function bindLabel(feature: Feature<Geometry, AreaProperties>, layer: Layer): void {
  layer.bindTooltip(feature.properties.name, {
    permanent: true,
    direction: 'center',
    className: `pilot-label pilot-label--${feature.properties.level}`,
    pane: PANE,
  });
}

/** The pilot areas as outlines, labelled by zoom, redrawn whenever the list of areas changes. */
export function PilotAreasLayer({ areas }: { areas: AreaDto[] }) {
  const map = useMap();
  useEffect(() => {
    if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = PANE_Z_INDEX;
    const outlines: FeatureCollection<Geometry, AreaProperties> = { type: 'FeatureCollection', features: areas.map(toFeature) };
    const layer = geoJSON<AreaProperties, Geometry>(outlines, {
      pane: PANE,
      style: outlineStyle,
      onEachFeature: bindLabel,
      interactive: false,
    }).addTo(map);
    const showLabels = () => {
      layer.eachLayer((area) => {
        const { level } = (area as Polygon<AreaProperties>).feature!.properties;
        if (map.getZoom() >= LABEL_MIN_ZOOM[level]) area.openTooltip();
        else area.closeTooltip();
      });
    };
    showLabels();
    map.on('zoomend', showLabels);
    return () => {
      map.off('zoomend', showLabels);
      layer.remove();
    };
  }, [map, areas]);
  return null;
}

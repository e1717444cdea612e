import { AREA_LEVELS, type AreaDto, type AreaLevel, type GeoJsonGeometry } from '@ioc/contracts';
import type { FeatureCollection } from 'geojson';
import pilotAreasGeoJson from '@ioc/areas/data/pilot-areas.geojson';

function isAreaLevel(value: unknown): value is AreaLevel {
  return typeof value === 'string' && (AREA_LEVELS as readonly string[]).includes(value);
}

/** Reads the bundled pilot areas in the shape the API serves them; features it cannot read are skipped. */
export function areasFromGeoJson(collection: FeatureCollection): AreaDto[] {
  return collection.features.flatMap((f) => {
    const { id, name, level, parentId } = f.properties ?? {};
    const { geometry } = f;
    if (typeof id !== 'string' || typeof name !== 'string' || !isAreaLevel(level)) return [];
    if (geometry?.type !== 'Polygon' && geometry?.type !== 'MultiPolygon') return [];
    return [{ id, name, level, parentId: typeof parentId === 'string' ? parentId : null, geometry: geometry as GeoJsonGeometry }];
  });
}

/** Drawn before, and whenever, the server's copy is not available. */
export const BUNDLED_PILOT_AREAS = areasFromGeoJson(pilotAreasGeoJson);

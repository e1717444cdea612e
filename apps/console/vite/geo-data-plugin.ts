import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FeatureCollection, GeoJsonProperties, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { Plugin } from 'vite';

export const OFFLINE_BASEMAP_MODULE = 'virtual:offline-basemap';
const RESOLVED_BASEMAP_ID = `\0${OFFLINE_BASEMAP_MODULE}`;

/** Vietnam (ISO 3166 numeric 704) and the neighbours seen around the Mekong delta. */
const BASEMAP_COUNTRIES: Record<string, boolean> = { '704': true, '116': false, '418': false, '764': false };
/** About 10 m at these latitudes: more detail than an outline needs, far fewer bytes. */
const COORDINATE_DECIMALS = 4;

function roundCoordinates(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toFixed(COORDINATE_DECIMALS));
  return Array.isArray(value) ? value.map(roundCoordinates) : value;
}

function compact(collection: FeatureCollection): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: collection.features.map((f) => ({
      type: 'Feature',
      properties: f.properties,
      geometry: { ...f.geometry, coordinates: roundCoordinates((f.geometry as { coordinates: unknown }).coordinates) } as Geometry,
    })),
  };
}

function offlineBasemap(): FeatureCollection {
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve('world-atlas/countries-10m.json'), 'utf8')) as Topology;
  const countries = topology.objects.countries as GeometryCollection<GeoJsonProperties>;
  const selected: GeometryCollection<GeoJsonProperties> = {
    type: 'GeometryCollection',
    geometries: countries.geometries
      .filter((g) => String(g.id) in BASEMAP_COUNTRIES)
      .map((g) => ({
        ...g,
        properties: { id: String(g.id), name: (g.properties as { name?: string } | null)?.name ?? '', home: BASEMAP_COUNTRIES[String(g.id)] },
      })),
  };
  return compact(feature(topology, selected));
}

/**
 * The offline map data, prepared at build time so the bundle carries only the countries drawn:
 * `virtual:offline-basemap` (country outlines from world-atlas) and any imported `*.geojson` file.
 */
export function geoDataPlugin(): Plugin {
  return {
    name: 'ioc-geo-data',
    resolveId(id) {
      return id === OFFLINE_BASEMAP_MODULE ? RESOLVED_BASEMAP_ID : null;
    },
    load(id) {
      return id === RESOLVED_BASEMAP_ID ? `export default ${JSON.stringify(offlineBasemap())};` : null;
    },
    transform(code, id) {
      if (!id.endsWith('.geojson')) return null;
      const collection = compact(JSON.parse(code) as FeatureCollection);
      return { code: `export default ${JSON.stringify(collection)};`, map: null };
    },
  };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeoJsonGeometry } from '@ioc/contracts';
import { capPolygons, CAP_MAX_POLYGON_POINTS } from './cap-polygon';

const pairs = (polygon: string): [number, number][] => polygon.split(' ').map((p) => p.split(',').map(Number) as [number, number]);

/** A circle of `n` points around Mỹ Tho (lon, lat), not closed. */
const circle = (n: number, lon = 106.36, lat = 10.36, r = 0.05): number[][] =>
  Array.from({ length: n }, (_, i) => [lon + r * Math.cos((2 * Math.PI * i) / n), lat + r * Math.sin((2 * Math.PI * i) / n)]);

describe('capPolygons', () => {
  it('writes lat,lon pairs separated by spaces, latitude first', () => {
    const geometry: GeoJsonGeometry = { type: 'Polygon', coordinates: [[[106.318, 10.392], [106.322, 10.387], [106.31, 10.38], [106.318, 10.392]]] };
    expect(capPolygons(geometry)).toEqual(['10.392,106.318 10.387,106.322 10.38,106.31 10.392,106.318']);
  });

  it('closes a ring whose last point is not its first', () => {
    const [polygon] = capPolygons({ type: 'Polygon', coordinates: [[[106.3, 10.3], [106.4, 10.3], [106.4, 10.4]]] });
    const points = pairs(polygon);
    expect(points).toHaveLength(4);
    expect(points[3]).toEqual(points[0]);
  });

  it('writes one polygon per outer ring of a MultiPolygon and leaves holes out', () => {
    const hole = [[106.35, 10.35], [106.36, 10.35], [106.36, 10.36], [106.35, 10.35]];
    const geometry: GeoJsonGeometry = {
      type: 'MultiPolygon',
      coordinates: [
        [[[106.3, 10.3], [106.4, 10.3], [106.4, 10.4], [106.3, 10.3]], hole],
        [[[106.6, 10.2], [106.7, 10.2], [106.7, 10.3], [106.6, 10.2]]],
      ],
    };
    const polygons = capPolygons(geometry);
    expect(polygons).toEqual(['10.3,106.3 10.3,106.4 10.4,106.4 10.3,106.3', '10.2,106.6 10.2,106.7 10.3,106.7 10.2,106.6']);
  });

  it('rounds to 5 decimals without exponents and drops points that become repeats', () => {
    const [polygon] = capPolygons({
      type: 'Polygon',
      coordinates: [[[106.1234567, 10.0000001], [106.1234568, 10.0000002], [106.2, 10.1], [106.3, 10.0], [106.1234567, 10.0000001]]],
    });
    expect(polygon).toBe('10,106.12346 10.1,106.2 10,106.3 10,106.12346');
  });

  it('drops a ring of fewer than three distinct points', () => {
    expect(capPolygons({ type: 'Polygon', coordinates: [[[106.3, 10.3], [106.4, 10.3], [106.3, 10.3]]] })).toEqual([]);
  });

  it('simplifies a ring of thousands of points to at most 100, closed, of the ring’s own points', () => {
    const ring = circle(5000);
    const [polygon] = capPolygons({ type: 'Polygon', coordinates: [ring] });
    const points = pairs(polygon);
    expect(points.length).toBeLessThanOrEqual(CAP_MAX_POLYGON_POINTS);
    expect(points.length).toBeGreaterThan(CAP_MAX_POLYGON_POINTS / 2);
    expect(points[points.length - 1]).toEqual(points[0]);
    const original = new Set(ring.map(([lon, lat]) => `${Number(lat.toFixed(5))},${Number(lon.toFixed(5))}`));
    expect(points.every(([lat, lon]) => original.has(`${lat},${lon}`))).toBe(true);
    // Still the circle: every kept point at its radius, spread all around.
    for (const [lat, lon] of points) expect(Math.hypot(lat - 10.36, lon - 106.36)).toBeCloseTo(0.05, 4);
    const angles = new Set(points.map(([lat, lon]) => Math.floor(((Math.atan2(lat - 10.36, lon - 106.36) + Math.PI) / (2 * Math.PI)) * 8)));
    expect(angles.size).toBe(8);
  });

  it('keeps a ring at the limit as it is', () => {
    const ring = circle(CAP_MAX_POLYGON_POINTS - 1);
    const [polygon] = capPolygons({ type: 'Polygon', coordinates: [ring] });
    expect(pairs(polygon)).toHaveLength(CAP_MAX_POLYGON_POINTS);
  });

  it('writes every pilot area as a closed polygon', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '../../../areas/data/pilot-areas.geojson'), 'utf8')) as { features: { geometry: GeoJsonGeometry }[] };
    for (const { geometry } of file.features) {
      const polygons = capPolygons(geometry);
      expect(polygons.length).toBeGreaterThan(0);
      for (const polygon of polygons) {
        const points = pairs(polygon);
        expect(points.length).toBeGreaterThanOrEqual(4);
        expect(points[points.length - 1]).toEqual(points[0]);
        // Latitude first: the pilot lies near 10° N, 106° E.
        for (const [lat, lon] of points) {
          expect(lat).toBeGreaterThan(8);
          expect(lat).toBeLessThan(12);
          expect(lon).toBeGreaterThan(104);
          expect(lon).toBeLessThan(108);
        }
      }
    }
  });
});

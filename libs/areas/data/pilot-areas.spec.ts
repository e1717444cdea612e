import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { AREA_LEVELS, type AreaLevel } from '@ioc/contracts';
import { parseAreaFile } from '../src/area-file';

type Position = [number, number];
interface AreaFeature {
  type: 'Feature';
  properties: { id: string; name: string; level: AreaLevel; parentId: string | null; source: string; note?: string };
  geometry: { type: 'Polygon'; coordinates: Position[][] };
}

const collection = JSON.parse(readFileSync(join(__dirname, 'pilot-areas.geojson'), 'utf8')) as {
  type: string;
  features: AreaFeature[];
};
const features = collection.features;
const byId = new Map(features.map((f) => [f.properties.id, f]));
const outer = (f: AreaFeature): Position[] => f.geometry.coordinates[0];

/** Shoelace formula on [lng, lat]: positive for a counter-clockwise ring. */
function signedArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return sum / 2;
}

function cross(o: Position, a: Position, b: Position): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** True when the segments cross at a point inside both (touching ends do not count). */
function segmentsCross(p1: Position, p2: Position, q1: Position, q2: Position): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

function edges(ring: Position[]): [Position, Position][] {
  return ring.slice(0, -1).map((p, i) => [p, ring[i + 1]]);
}

function ringsCross(a: Position[], b: Position[]): boolean {
  return edges(a).some(([p1, p2]) => edges(b).some(([q1, q2]) => segmentsCross(p1, p2, q1, q2)));
}

const inside = (point: Position, area: AreaFeature) => booleanPointInPolygon(point, area.geometry);

describe('pilot-areas.geojson', () => {
  it('is a FeatureCollection of uniquely named areas', () => {
    expect(collection.type).toBe('FeatureCollection');
    expect(byId.size).toBe(features.length);
    for (const f of features) {
      expect(f.type).toBe('Feature');
      expect(f.properties.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(f.properties.name.trim()).not.toBe('');
      expect(AREA_LEVELS).toContain(f.properties.level);
      expect(f.properties.source).toBe('approximate outline for the pilot; replace with official boundaries');
    }
  });

  it("is accepted by the server's area loader", () => {
    expect(parseAreaFile(collection).map((a) => a.id).sort()).toEqual([...byId.keys()].sort());
  });

  it('has the pilot provinces and districts', () => {
    const expected: [string, AreaLevel, string | null][] = [
      ['tien-giang', 'province', null],
      ['my-tho', 'district', 'tien-giang'],
      ['go-cong-dong', 'district', 'tien-giang'],
      ['hau-giang', 'province', null],
      ['vi-thanh', 'district', 'hau-giang'],
    ];
    for (const [id, level, parentId] of expected) {
      expect(byId.get(id)?.properties).toMatchObject({ level, parentId });
    }
  });

  it('notes the 2025 reorganisation on every province', () => {
    for (const f of features.filter((f) => f.properties.level === 'province')) {
      expect(f.properties.note).toMatch(/1 July 2025/);
    }
  });

  it('forms a tree whose parents are one level up', () => {
    const rank: Record<AreaLevel, number> = { province: 0, district: 1, commune: 2, ward: 2, zone: 3 };
    for (const f of features) {
      const { parentId, level } = f.properties;
      if (parentId === null) {
        expect(level).toBe('province');
        continue;
      }
      const parent = byId.get(parentId);
      expect(parent).toBeDefined();
      expect(rank[parent!.properties.level]).toBeLessThan(rank[level]);
    }
  });

  it.each(features.map((f) => [f.properties.id, f] as const))(
    '%s is one closed, counter-clockwise, simple ring of 12 to 40 vertices',
    (_id, f) => {
      expect(f.geometry.type).toBe('Polygon');
      expect(f.geometry.coordinates).toHaveLength(1);
      const ring = outer(f);
      expect(ring[0]).toEqual(ring[ring.length - 1]);
      expect(new Set(ring.slice(0, -1).map((p) => p.join())).size).toBe(ring.length - 1);
      expect(ring.length - 1).toBeGreaterThanOrEqual(12);
      expect(ring.length - 1).toBeLessThanOrEqual(40);
      expect(signedArea(ring)).toBeGreaterThan(0);
      expect(ringsCross(ring, ring)).toBe(false);
      for (const [lng, lat] of ring) {
        expect(lng).toBeGreaterThan(105);
        expect(lng).toBeLessThan(107);
        expect(lat).toBeGreaterThan(9);
        expect(lat).toBeLessThan(11);
      }
    },
  );

  it('draws every child inside its parent', () => {
    for (const child of features.filter((f) => f.properties.parentId !== null)) {
      const parent = byId.get(child.properties.parentId!)!;
      for (const vertex of outer(child)) expect(inside(vertex, parent)).toBe(true);
      expect(ringsCross(outer(child), outer(parent))).toBe(false);
    }
  });

  it('keeps siblings apart', () => {
    for (const a of features) {
      for (const b of features) {
        if (a === b || a.properties.parentId !== b.properties.parentId) continue;
        expect(outer(a).some((v) => inside(v, b))).toBe(false);
        expect(ringsCross(outer(a), outer(b))).toBe(false);
      }
    }
  });

  it('places the areas where the pilot documents say they are', () => {
    const extent = (id: string) => {
      const ring = outer(byId.get(id)!);
      const lngs = ring.map((p) => p[0]);
      const lats = ring.map((p) => p[1]);
      return { west: Math.min(...lngs), east: Math.max(...lngs), south: Math.min(...lats), north: Math.max(...lats) };
    };
    const near = (value: number, target: number, tolerance: number) =>
      expect(Math.abs(value - target)).toBeLessThanOrEqual(tolerance);
    const myTho = extent('my-tho');
    near(myTho.south, 10.33, 0.02);
    near(myTho.north, 10.4, 0.015);
    near(myTho.west, 106.3, 0.015);
    near(myTho.east, 106.43, 0.015);
    const goCongDong = extent('go-cong-dong');
    near(goCongDong.south, 10.2, 0.03);
    near(goCongDong.north, 10.45, 0.02);
    near(goCongDong.west, 106.63, 0.02);
    near(goCongDong.east, 106.8, 0.02);
    const viThanh = extent('vi-thanh');
    near(viThanh.south, 9.73, 0.01);
    near(viThanh.north, 9.82, 0.01);
    near(viThanh.west, 105.4, 0.01);
    near(viThanh.east, 105.52, 0.01);
    const tienGiang = extent('tien-giang');
    near(tienGiang.south, 10.2, 0.02);
    near(tienGiang.north, 10.6, 0.02);
    near(tienGiang.west, 105.8, 0.02);
    near(tienGiang.east, 106.8, 0.02);
    // Landmarks: Mỹ Tho's centre, Gò Công town (outside Gò Công Đông, which surrounds it on the east).
    expect(inside([106.362, 10.356], byId.get('my-tho')!)).toBe(true);
    expect(inside([106.673, 10.36], byId.get('go-cong-dong')!)).toBe(false);
    expect(inside([106.673, 10.36], byId.get('tien-giang')!)).toBe(true);
    expect(inside([105.47, 9.78], byId.get('vi-thanh')!)).toBe(true);
  });
});

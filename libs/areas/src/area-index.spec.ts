import type { AreaDto } from '@ioc/contracts';
import { AreaIndex } from './area-index';
import { parseAreaFile } from './area-file';

const square = (lng0: number, lat0: number, lng1: number, lat1: number) => ({
  type: 'Polygon' as const,
  coordinates: [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
});

const feature = (id: string, level: string, parentId: string | null, geometry: object) => ({
  type: 'Feature',
  properties: { id, name: id.toUpperCase(), level, parentId },
  geometry,
});

describe('AreaIndex', () => {
  const areas: AreaDto[] = parseAreaFile({
    type: 'FeatureCollection',
    features: [
      feature('town', 'district', 'province', square(106.3, 10.3, 106.4, 10.4)),
      feature('province', 'province', null, square(106.0, 10.0, 107.0, 11.0)),
    ],
  });
  const index = new AreaIndex(areas);

  it('puts a point in every area that contains it, province and district alike', () => {
    expect(index.containing(10.35, 106.35).map((a) => a.id)).toEqual(['province', 'town']);
  });

  it('puts a point outside the town only in the province, and one at sea in none', () => {
    expect(index.containing(10.6, 106.6).map((a) => a.id)).toEqual(['province']);
    expect(index.containing(9.0, 108.0)).toEqual([]);
  });

  it('orders parents before children whatever the file order', () => {
    expect(areas.map((a) => a.id)).toEqual(['province', 'town']);
  });
});

describe('parseAreaFile', () => {
  it.each([
    ['an unknown parent', [feature('a', 'district', 'nowhere', square(0, 0, 1, 1))], /unknown parent nowhere/],
    ['a duplicate id', [feature('a', 'zone', null, square(0, 0, 1, 1)), feature('a', 'zone', null, square(0, 0, 1, 1))], /unique/],
    ['an unknown level', [feature('a', 'city', null, square(0, 0, 1, 1))], /level/],
    ['a ring of three points', [feature('a', 'zone', null, { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] })], /too_small|>=4|at least 4/i],
    ['a latitude out of range', [feature('a', 'zone', null, square(0, 0, 1, 95))], /90/],
  ])('rejects %s', (_what, features, message) => {
    expect(() => parseAreaFile({ type: 'FeatureCollection', features })).toThrow(message);
  });
});

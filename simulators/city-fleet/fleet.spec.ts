import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { createDeviceSchema, type DeviceKind } from '@ioc/contracts';
import { alarmLevelsOf, FLEET } from './fleet';
import { createDeviceModel } from './models';

interface Area {
  properties: { id: string };
  geometry: { type: 'Polygon'; coordinates: [number, number][][] };
}
const areasFile = join(__dirname, '..', '..', 'libs', 'areas', 'data', 'pilot-areas.geojson');
const areas = new Map(
  (JSON.parse(readFileSync(areasFile, 'utf8')) as { features: Area[] }).features.map((f) => [f.properties.id, f]),
);
const area = (id: string): Area => {
  const found = areas.get(id);
  if (!found) throw new Error(`no area ${id} in ${areasFile}`);
  return found;
};

const AREA_OF_PREFIX: Record<string, string> = { mt: 'my-tho', gcd: 'go-cong-dong' };
const KIND_OF_INFIX: Record<string, DeviceKind> = {
  wl: 'water_level',
  sal: 'salinity',
  aq: 'air_quality',
  cam: 'traffic_camera',
};

describe('FLEET', () => {
  it('has about fifty devices of the four demo kinds', () => {
    expect(FLEET.length).toBeGreaterThanOrEqual(45);
    expect(FLEET.length).toBeLessThanOrEqual(60);
    const kinds = new Set(FLEET.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['air_quality', 'salinity', 'traffic_camera', 'water_level']);
  });

  it('has unique ids and names', () => {
    expect(new Set(FLEET.map((d) => d.id)).size).toBe(FLEET.length);
    expect(new Set(FLEET.map((d) => d.name)).size).toBe(FLEET.length);
  });

  it.each(FLEET.map((d) => [d.id, d] as const))('%s is a valid CreateDeviceInput', (_id, device) => {
    expect(createDeviceSchema.safeParse(device).error).toBeUndefined();
  });

  it.each(FLEET.map((d) => [d.id, d] as const))('%s is named <area>-<kind>-<nn> after what it is', (id, device) => {
    const match = /^([a-z]+)-([a-z]+)-(\d{2})$/.exec(id);
    expect(match).not.toBeNull();
    const [, prefix, infix] = match!;
    expect(AREA_OF_PREFIX[prefix]).toBeDefined();
    expect(KIND_OF_INFIX[infix]).toBe(device.kind);
  });

  it.each(FLEET.map((d) => [d.id, d] as const))('%s stands inside its area and inside Tiền Giang', (id, device) => {
    const point = [device.lng, device.lat];
    expect(booleanPointInPolygon(point, area(AREA_OF_PREFIX[id.split('-')[0]]).geometry)).toBe(true);
    expect(booleanPointInPolygon(point, area('tien-giang').geometry)).toBe(true);
  });

  it('puts salinity stations mostly in Gò Công Đông, near the river mouths', () => {
    const salinity = FLEET.filter((d) => d.kind === 'salinity');
    const coastal = salinity.filter((d) => d.id.startsWith('gcd-'));
    expect(coastal.length / salinity.length).toBeGreaterThan(0.5);
  });

  it('puts air-quality stations and traffic cameras in Mỹ Tho', () => {
    for (const device of FLEET.filter((d) => d.kind === 'air_quality' || d.kind === 'traffic_camera')) {
      expect(device.id.startsWith('mt-')).toBe(true);
    }
  });

  it('names the national roads the cameras watch', () => {
    const roads = new Set(FLEET.filter((d) => d.kind === 'traffic_camera').map((d) => d.metadata?.road));
    expect([...roads]).toEqual(expect.arrayContaining(['QL1', 'QL50']));
  });

  it('gives every water-level station its own rising BĐ1 < BĐ2 < BĐ3', () => {
    for (const device of FLEET.filter((d) => d.kind === 'water_level')) {
      const levels = alarmLevelsOf(device);
      expect(levels).not.toBeNull();
      expect(levels!.bd1).toBeGreaterThan(1);
      expect(levels!.bd1).toBeLessThan(levels!.bd2);
      expect(levels!.bd2).toBeLessThan(levels!.bd3);
      expect(levels!.bd3).toBeLessThan(3);
    }
    expect(alarmLevelsOf(FLEET.find((d) => d.id === 'mt-wl-01')!)).toEqual({ bd1: 1.6, bd2: 1.8, bd3: 2.0 });
  });

  it('has metadata every device model understands', () => {
    for (const device of FLEET) expect(() => createDeviceModel(device, { seed: 1 })).not.toThrow();
  });
});

import { z } from 'zod';
import { AREA_LEVELS, type AreaDto } from '@ioc/contracts';

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const ring = z.array(position).min(4);
const geometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) }),
]);
const featureCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      properties: z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
        name: z.string().min(1),
        level: z.enum(AREA_LEVELS),
        parentId: z.string().nullable().optional(),
      }),
      geometry,
    }),
  ),
});

/** Reads a GeoJSON FeatureCollection of areas; parents come before their children in the result. */
export function parseAreaFile(json: unknown): AreaDto[] {
  const parsed = featureCollection.parse(json);
  const areas: AreaDto[] = parsed.features.map((f) => ({
    id: f.properties.id,
    name: f.properties.name,
    level: f.properties.level,
    parentId: f.properties.parentId ?? null,
    geometry: f.geometry,
  }));
  const ids = new Set(areas.map((a) => a.id));
  if (ids.size !== areas.length) throw new Error('area ids must be unique');
  for (const a of areas) {
    if (a.parentId && !ids.has(a.parentId)) throw new Error(`area ${a.id}: unknown parent ${a.parentId}`);
  }
  const depth = (a: AreaDto, seen = 0): number => {
    if (seen > areas.length) throw new Error(`area ${a.id}: its parents form a cycle`);
    const parent = areas.find((p) => p.id === a.parentId);
    return parent ? 1 + depth(parent, seen + 1) : 0;
  };
  return [...areas].sort((a, b) => depth(a) - depth(b));
}

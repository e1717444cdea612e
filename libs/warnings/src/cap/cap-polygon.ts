import type { GeoJsonGeometry } from '@ioc/contracts';

/**
 * Points a CAP polygon keeps at most, closing point included. Receivers cap polygons (the US
 * IPAWS takes 100 points), and an official ward outline can have thousands.
 */
export const CAP_MAX_POLYGON_POINTS = 100;
/** 5 decimal places of a degree: about 1.1 m, finer than any outline we are given. */
const DECIMALS = 5;

type Point = [lon: number, lat: number];

/**
 * The CAP `polygon`s of an area outline (GeoJSON, WGS84, lon/lat): one per outer ring, written
 * "lat,lon lat,lon ..." as CAP orders them, closed (first point = last). Holes are left out, as CAP
 * polygons have none: a warning covers its area's whole extent. A ring of more than `maxPoints`
 * is simplified (Douglas-Peucker, the smallest tolerance that fits); rings of fewer than three
 * distinct points are dropped. Pure.
 */
export function capPolygons(geometry: GeoJsonGeometry, maxPoints = CAP_MAX_POLYGON_POINTS): string[] {
  const outerRings =
    geometry.type === 'Polygon'
      ? [(geometry.coordinates as number[][][])[0]]
      : (geometry.coordinates as number[][][][]).map((polygon) => polygon[0]);
  return outerRings
    .filter((ring) => ring !== undefined)
    .map((ring) => simplifyRing(closedRing(ring), maxPoints))
    .filter((ring) => ring.length >= 4)
    .map((ring) => ring.map(([lon, lat]) => `${degrees(lat)},${degrees(lon)}`).join(' '));
}

function degrees(value: number): string {
  // toFixed never writes an exponent; trailing zeros go.
  return String(Number(value.toFixed(DECIMALS)));
}

/** Rounded as written, without repeated points, closed. */
function closedRing(ring: number[][]): Point[] {
  const points: Point[] = [];
  for (const [lon, lat] of ring) {
    const point: Point = [Number(lon.toFixed(DECIMALS)), Number(lat.toFixed(DECIMALS))];
    const last = points[points.length - 1];
    if (!last || last[0] !== point[0] || last[1] !== point[1]) points.push(point);
  }
  const [first, last] = [points[0], points[points.length - 1]];
  if (first && (first[0] !== last[0] || first[1] !== last[1])) points.push(first);
  return points;
}

function simplifyRing(ring: Point[], maxPoints: number): Point[] {
  if (ring.length <= maxPoints) return ring;
  // Distances in a plane where a degree of longitude is as long as one of latitude at this latitude.
  const scale = Math.cos((ring.reduce((sum, p) => sum + p[1], 0) / ring.length) * (Math.PI / 180));
  const planar: Point[] = ring.map(([lon, lat]) => [lon * scale, lat]);
  let low = 0;
  let high = extent(planar);
  let best = douglasPeucker(planar, high);
  for (let i = 0; i < 40; i++) {
    const tolerance = (low + high) / 2;
    const kept = douglasPeucker(planar, tolerance);
    if (kept.length <= maxPoints) {
      high = tolerance;
      best = kept;
    } else {
      low = tolerance;
    }
  }
  return best.map((i) => ring[i]);
}

/** The diagonal of the bounding box: no point is farther than this from any segment. */
function extent(points: Point[]): number {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
  }
  return Math.hypot(maxX - minX, maxY - minY);
}

/** Indices of the points kept, in order; the first and last always. Iterative, so long rings cannot overflow the stack. */
function douglasPeucker(points: Point[], tolerance: number): number[] {
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const stack: [number, number][] = [[0, points.length - 1]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    let farthest = -1;
    let distance = tolerance;
    for (let i = from + 1; i < to; i++) {
      const d = distanceToSegment(points[i], points[from], points[to]);
      if (d > distance) {
        distance = d;
        farthest = i;
      }
    }
    if (farthest >= 0) {
      keep[farthest] = 1;
      stack.push([from, farthest], [farthest, to]);
    }
  }
  const kept: number[] = [];
  keep.forEach((k, i) => k && kept.push(i));
  return kept;
}

/** From p to the segment a-b; a closed ring's first segment has a = b, and this is then the distance to a. */
function distanceToSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / lengthSquared));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { AreaDto, AreaRef } from '@ioc/contracts';

/** Answers "which areas contain this point" over the loaded area tree. Pure, no I/O. */
export class AreaIndex {
  constructor(private readonly areas: readonly AreaDto[]) {}

  containing(lat: number, lng: number): AreaRef[] {
    const point: [number, number] = [lng, lat];
    return this.areas
      .filter((a) => booleanPointInPolygon(point, a.geometry as Parameters<typeof booleanPointInPolygon>[1]))
      .map(({ id, name, level }) => ({ id, name, level }));
  }

  refs(ids: readonly string[]): AreaRef[] {
    return ids.flatMap((id) => {
      const area = this.areas.find((a) => a.id === id);
      return area ? [{ id: area.id, name: area.name, level: area.level }] : [];
    });
  }

  all(): readonly AreaDto[] {
    return this.areas;
  }
}

import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { DeviceEventPageDto, ListEventsQuery } from '@ioc/contracts';
import { cursorTime, decodeCursor, encodeCursor } from '../history/cursor';
import { EventsRepository } from './events.repository';

const eventCursor = z.tuple([cursorTime, z.number().int(), z.string().max(64)]);

@Injectable()
export class EventsService {
  constructor(private readonly repository: EventsRepository) {}

  async list(q: ListEventsQuery): Promise<DeviceEventPageDto> {
    const before = q.cursor ? decodeCursor(q.cursor, eventCursor) : null;
    const rows = await this.repository.find({
      ...q,
      before: before && { time: before[0], deviceKey: before[1], type: before[2] },
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      events: page.map((r) => ({
        deviceId: r.device_id,
        type: r.type,
        time: r.time.toISOString(),
        confidence: r.confidence,
        snapshotUrl: r.snapshot_url,
        attributes: r.attributes,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.cursor_time, last.device_key, last.type]) : null,
    };
  }
}

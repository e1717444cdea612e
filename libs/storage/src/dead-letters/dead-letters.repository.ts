import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { DeadLetterDto, DeadLetterReason, ListDeadLettersQuery } from '@ioc/contracts';
import { Database } from '@ioc/database';
import type { DeadLetter } from '../write/write-batch';

@Injectable()
export class DeadLettersRepository {
  constructor(private readonly db: Database) {}

  async insert(letters: readonly DeadLetter[], db: PoolClient): Promise<void> {
    await db.query(
      `INSERT INTO dead_letters (received_at, topic, device_id, reason, message, payload)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        letters.map((l) => new Date(l.receivedAt)),
        letters.map((l) => l.topic),
        letters.map((l) => l.deviceId),
        letters.map((l) => l.reason),
        letters.map((l) => l.message),
        letters.map((l) => l.payload),
      ],
    );
  }

  async find(q: ListDeadLettersQuery): Promise<DeadLetterDto[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      received_at: Date;
      topic: string;
      device_id: string | null;
      reason: DeadLetterReason;
      message: string;
      payload: string;
    }>(
      `SELECT id, received_at, topic, device_id, reason, message, payload
         FROM dead_letters
        WHERE ($1::text IS NULL OR reason = $1)
          AND ($2::text IS NULL OR device_id = $2)
          AND ($3::timestamptz IS NULL OR received_at >= $3)
          AND ($4::timestamptz IS NULL OR received_at < $4)
        ORDER BY received_at DESC, id DESC
        LIMIT $5`,
      [q.reason ?? null, q.deviceId ?? null, q.since ?? null, q.until ?? null, q.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      receivedAt: r.received_at.toISOString(),
      topic: r.topic,
      deviceId: r.device_id,
      reason: r.reason,
      message: r.message,
      payload: r.payload,
    }));
  }
}

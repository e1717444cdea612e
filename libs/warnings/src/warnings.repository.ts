import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type {
  CapCertainty,
  CapMessageType,
  CapSeverity,
  CapUrgency,
  ListWarningsQuery,
  WarningContentDto,
  WarningText,
  WarningType,
} from '@ioc/contracts';
import { Database, inTransaction } from '@ioc/database';
import type { Decision, MessageRecord, WarningRecord } from './warning-lifecycle';

interface WarningRow {
  id: string;
  incident_id: string;
  type: WarningType;
  severity: CapSeverity;
  urgency: CapUrgency;
  certainty: CapCertainty;
  area_id: string;
  area_name: string;
  texts: { vi: WarningText; en: WarningText };
  expires_at: Date;
  published_at: Date;
  published_by: string | null;
  updated_at: Date;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  cancel_reason: string | null;
}

interface MessageRow {
  warning_id: string;
  seq: number;
  identifier: string;
  sender: string;
  sent: Date;
  msg_type: CapMessageType;
  cap_references: string | null;
  note: string | null;
  content: WarningContentDto;
  actor_name: string | null;
}

/** A message to store: its record, the XML as sent, and who sent it. */
export interface MessageToStore {
  identifier: string;
  sender: string;
  sent: Date;
  msgType: CapMessageType;
  references: string | null;
  note: string | null;
  content: WarningContentDto;
  xml: string;
}

export interface Actor {
  id: number;
  username: string;
}

/** An incident as a warning needs it: where it is. */
export interface IncidentPlace {
  groupAreaId: string | null;
  areaIds: string[];
}

/** The message that follows a decision, made from the warning as locked. */
export type Amendment = Extract<Decision, { ok: false }> | { ok: true; message: MessageToStore };

const WARNING_COLUMNS = `id, incident_id, type, severity, urgency, certainty, area_id, area_name, texts, expires_at,
  published_at, published_by, updated_at, cancelled_at, cancelled_by, cancel_reason`;
const MESSAGE_COLUMNS = 'warning_id, seq, identifier, sender, sent, msg_type, cap_references, note, content, actor_name';

const toMessage = (r: MessageRow): MessageRecord => ({
  seq: r.seq,
  identifier: r.identifier,
  sender: r.sender,
  sent: r.sent,
  msgType: r.msg_type,
  references: r.cap_references,
  note: r.note,
  content: r.content,
  by: r.actor_name,
});

const toWarning = (r: WarningRow, messages: MessageRecord[]): WarningRecord => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  content: {
    type: r.type,
    severity: r.severity,
    urgency: r.urgency,
    certainty: r.certainty,
    vi: r.texts.vi,
    en: r.texts.en,
    area: { id: r.area_id, name: r.area_name },
    expires: r.expires_at.toISOString(),
  },
  publishedAt: r.published_at,
  publishedBy: r.published_by,
  updatedAt: r.updated_at,
  cancelledAt: r.cancelled_at,
  cancelledBy: r.cancelled_by,
  cancelReason: r.cancel_reason,
  messages,
});

type Queryable = Pick<PoolClient, 'query'>;

/** The one owner of `warnings` and `warning_messages`. */
@Injectable()
export class WarningsRepository {
  constructor(private readonly db: Database) {}

  /** null: no such incident. */
  async incidentPlace(incidentId: number): Promise<IncidentPlace | null> {
    const { rows } = await this.db.pool.query<{ group_area_id: string | null; area_ids: string[] }>(
      'SELECT group_area_id, area_ids FROM incidents WHERE id = $1',
      [incidentId],
    );
    return rows[0] ? { groupAreaId: rows[0].group_area_id, areaIds: rows[0].area_ids } : null;
  }

  /** A new warning and its Alert, in one transaction. */
  async insert(incidentId: number, alert: MessageToStore, actor: Actor): Promise<WarningRecord> {
    return this.transaction(async (client) => {
      const c = alert.content;
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO warnings (incident_id, type, severity, urgency, certainty, area_id, area_name, texts, expires_at,
                               published_at, published_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)
         RETURNING id`,
        [incidentId, c.type, c.severity, c.urgency, c.certainty, c.area.id, c.area.name, { vi: c.vi, en: c.en }, c.expires, alert.sent, actor.username],
      );
      const id = Number(rows[0].id);
      await this.insertMessage(client, id, 1, alert, actor);
      return (await this.load(client, [id]))[0];
    });
  }

  /**
   * Locks the warning, lets `decide` make the next message from it as it is, and stores that
   * message with the warning's new state. null: no such warning.
   */
  async amend(id: number, decide: (warning: WarningRecord) => Amendment, actor: Actor): Promise<WarningRecord | Extract<Decision, { ok: false }> | null> {
    return this.transaction(async (client) => {
      const locked = await client.query('SELECT id FROM warnings WHERE id = $1 FOR UPDATE', [id]);
      if (locked.rowCount === 0) return null;
      const [warning] = await this.load(client, [id]);
      const amendment = decide(warning);
      if (!amendment.ok) return amendment;
      const { message } = amendment;
      const c = message.content;
      const cancel = message.msgType === 'Cancel';
      await client.query(
        `UPDATE warnings
            SET severity = $2, urgency = $3, certainty = $4, area_id = $5, area_name = $6, texts = $7, expires_at = $8,
                updated_at = $9::timestamptz,
                cancelled_at = CASE WHEN $10::boolean THEN $9::timestamptz END,
                cancelled_by = CASE WHEN $10::boolean THEN $11::text END,
                cancel_reason = CASE WHEN $10::boolean THEN $12::text END
          WHERE id = $1`,
        [id, c.severity, c.urgency, c.certainty, c.area.id, c.area.name, { vi: c.vi, en: c.en }, c.expires, message.sent, cancel, actor.username, message.note],
      );
      await this.insertMessage(client, id, warning.messages.length + 1, message, actor);
      return (await this.load(client, [id]))[0];
    });
  }

  async find(id: number): Promise<WarningRecord | null> {
    return (await this.load(this.db.pool, [id]))[0] ?? null;
  }

  /** Newest first. */
  async list(q: ListWarningsQuery, now: Date): Promise<WarningRecord[]> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `SELECT id FROM warnings
        WHERE ($2::bigint IS NULL OR incident_id = $2)
          AND CASE $1::text
                WHEN 'active' THEN cancelled_at IS NULL AND expires_at > $3
                WHEN 'expired' THEN cancelled_at IS NULL AND expires_at <= $3
                WHEN 'cancelled' THEN cancelled_at IS NOT NULL
                ELSE true
              END
        ORDER BY id DESC
        LIMIT $4`,
      [q.state ?? null, q.incidentId ?? null, now, q.limit],
    );
    return this.load(this.db.pool, rows.map((r) => Number(r.id)));
  }

  /** Not cancelled, not expired; newest first. */
  active(now: Date): Promise<WarningRecord[]> {
    return this.list({ state: 'active', limit: 500 }, now);
  }

  /** When the feed last changed: the newest message, or the newest expiry already past. null: no warning yet. */
  async feedUpdated(now: Date): Promise<Date | null> {
    const { rows } = await this.db.pool.query<{ updated: Date | null }>(
      `SELECT greatest((SELECT max(sent) FROM warning_messages),
                       (SELECT max(expires_at) FROM warnings WHERE cancelled_at IS NULL AND expires_at <= $1)) AS updated`,
      [now],
    );
    return rows[0].updated;
  }

  /** The XML of a warning's newest message. */
  async newestXml(id: number): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ xml: string }>(
      'SELECT xml FROM warning_messages WHERE warning_id = $1 ORDER BY seq DESC LIMIT 1',
      [id],
    );
    return rows[0]?.xml ?? null;
  }

  async messageXml(identifier: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ xml: string }>('SELECT xml FROM warning_messages WHERE identifier = $1', [identifier]);
    return rows[0]?.xml ?? null;
  }

  private async insertMessage(client: Queryable, warningId: number, seq: number, m: MessageToStore, actor: Actor): Promise<void> {
    await client.query(
      `INSERT INTO warning_messages (warning_id, seq, identifier, sender, sent, msg_type, cap_references, note, content, actor_id, actor_name, xml)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [warningId, seq, m.identifier, m.sender, m.sent, m.msgType, m.references, m.note, m.content, actor.id, actor.username, m.xml],
    );
  }

  /** The warnings with these ids, in this order, each with its messages oldest first. */
  private async load(client: Queryable, ids: number[]): Promise<WarningRecord[]> {
    if (ids.length === 0) return [];
    const [warnings, messages] = await Promise.all([
      client.query<WarningRow>(`SELECT ${WARNING_COLUMNS} FROM warnings WHERE id = ANY($1::bigint[])`, [ids]),
      client.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM warning_messages WHERE warning_id = ANY($1::bigint[]) ORDER BY warning_id, seq`, [ids]),
    ]);
    const byWarning = new Map<string, MessageRecord[]>();
    for (const m of messages.rows) {
      const list = byWarning.get(m.warning_id) ?? [];
      list.push(toMessage(m));
      byWarning.set(m.warning_id, list);
    }
    const rows = new Map(warnings.rows.map((r) => [Number(r.id), r]));
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row ? [toWarning(row, byWarning.get(row.id) ?? [])] : [];
    });
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.db.pool.connect();
    try {
      return await inTransaction(client, () => work(client));
    } finally {
      client.release();
    }
  }
}

import type { AreaDto, CapMessageType, UpdateWarning, WarningContentDto, WarningState } from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';
import type { CapReference } from './cap/cap-xml';

/** A message of a warning as stored, without its XML. */
export interface MessageRecord {
  seq: number;
  identifier: string;
  sender: string;
  sent: Date;
  msgType: CapMessageType;
  references: string | null;
  note: string | null;
  content: WarningContentDto;
  by: string | null;
}

export interface WarningRecord {
  id: number;
  incidentId: number;
  /** What its newest message says. */
  content: WarningContentDto;
  publishedAt: Date;
  publishedBy: string | null;
  updatedAt: Date;
  cancelledAt: Date | null;
  cancelledBy: string | null;
  cancelReason: string | null;
  /** Oldest first. */
  messages: MessageRecord[];
}

/** What the next message says, or why there is none. */
export type Decision =
  | { ok: false; code: ErrorCode; message: string }
  | { ok: true; msgType: Exclude<CapMessageType, 'Alert'>; content: WarningContentDto; note: string | null };

export function warningState(w: Pick<WarningRecord, 'cancelledAt' | 'content'>, now: Date): WarningState {
  if (w.cancelledAt !== null) return 'cancelled';
  return Date.parse(w.content.expires) > now.getTime() ? 'active' : 'expired';
}

/**
 * When the next message is sent: now to the second, as CAP writes it, and after the warning's
 * previous message, so that two messages of a warning never share a `sent` and their order is plain.
 */
export function nextSent(now: Date, previous?: Date): Date {
  const second = Math.floor(now.getTime() / 1000) * 1000;
  return new Date(previous === undefined ? second : Math.max(second, previous.getTime() + 1000));
}

/** CAP: an Update or Cancel references the earlier messages, here all of them, oldest first. */
export function referencesOf(messages: readonly MessageRecord[]): CapReference[] {
  return messages.map((m) => ({ sender: m.sender, identifier: m.identifier, sent: m.sent }));
}

/**
 * The area a warning covers when the operator names none: the area of an area-grouped incident,
 * or else the most specific area its device is in (deepest in the area tree). null: none known.
 */
export function defaultAreaId(incident: { groupAreaId: string | null; areaIds: readonly string[] }, areas: readonly AreaDto[]): string | null {
  const byId = new Map(areas.map((a) => [a.id, a]));
  if (incident.groupAreaId !== null && byId.has(incident.groupAreaId)) return incident.groupAreaId;
  const depth = (id: string): number => {
    let d = 0;
    for (let a = byId.get(id); a?.parentId; a = byId.get(a.parentId)) d++;
    return d;
  };
  const known = incident.areaIds.filter((id) => byId.has(id));
  return known.reduce<string | null>((best, id) => (best === null || depth(id) > depth(best) ? id : best), null);
}

const refused = (code: ErrorCode, message: string): Decision => ({ ok: false, code, message });

/** An Update: the fields given over the current ones. An expired warning can be updated only with a new expiry. */
export function decideUpdate(
  warning: WarningRecord,
  input: UpdateWarning,
  area: (id: string) => { id: string; name: string } | null,
  now: Date,
): Decision {
  if (warning.cancelledAt !== null) return refused(ErrorCode.Conflict, `warning ${warning.id} is cancelled: publish a new one`);
  const current = warning.content;
  const nextArea = input.areaId === undefined ? current.area : area(input.areaId);
  if (nextArea === null) return refused(ErrorCode.Invalid, `areaId: no area ${input.areaId}`);
  const content: WarningContentDto = {
    type: current.type,
    severity: input.severity ?? current.severity,
    urgency: input.urgency ?? current.urgency,
    certainty: input.certainty ?? current.certainty,
    vi: { ...current.vi, ...input.vi },
    en: { ...current.en, ...input.en },
    area: nextArea,
    expires: input.expires === undefined ? current.expires : new Date(input.expires).toISOString(),
  };
  if (Date.parse(content.expires) <= now.getTime()) {
    return refused(ErrorCode.Invalid, `expires: warning ${warning.id} expired at ${current.expires}; give a new expires to update it`);
  }
  return { ok: true, msgType: 'Update', content, note: input.note ?? null };
}

/** A Cancel says what the warning said, with the reason as its note. */
export function decideCancel(warning: WarningRecord, reason: string): Decision {
  if (warning.cancelledAt !== null) return refused(ErrorCode.Conflict, `warning ${warning.id} is already cancelled`);
  return { ok: true, msgType: 'Cancel', content: warning.content, note: reason };
}

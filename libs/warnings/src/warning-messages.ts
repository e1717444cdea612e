import {
  PUBLIC_WARNING_PATHS,
  WARNING_EVENTS,
  WARNING_LANGUAGES,
  type CapMessageType,
  type PublicWarningDto,
  type WarningContentDto,
  type WarningDto,
  type WarningLanguage,
  type WarningMessageDto,
} from '@ioc/contracts';
import { capTime, type CapAlert, type CapInfo, type CapReference } from './cap/cap-xml';
import { warningState, type MessageRecord, type WarningRecord } from './warning-lifecycle';

/** Who sends the warnings: WARNINGS_SENDER and WARNINGS_SENDER_NAME. */
export interface Issuer {
  sender: string;
  senderName: string;
}

export interface OutgoingMessage {
  identifier: string;
  sent: Date;
  msgType: CapMessageType;
  note: string | null;
  references: readonly CapReference[];
  content: WarningContentDto;
}

/**
 * The CAP alert of a message: an `info` block in Vietnamese and one in English, the area's outline
 * as `polygons`. A Cancel keeps what the warning said, with urgency Past and response AllClear,
 * so that a reader that shows only `info` still sees it is over.
 */
export function capAlertOf(message: OutgoingMessage, issuer: Issuer, polygons: readonly string[]): CapAlert {
  const { content } = message;
  const cancel = message.msgType === 'Cancel';
  const event = WARNING_EVENTS[content.type];
  const info = (language: WarningLanguage): CapInfo => ({
    language: WARNING_LANGUAGES[language],
    category: event.category,
    event: event[language],
    ...(cancel ? { responseType: 'AllClear' as const } : {}),
    urgency: cancel ? 'Past' : content.urgency,
    severity: content.severity,
    certainty: content.certainty,
    expires: new Date(content.expires),
    senderName: issuer.senderName,
    headline: content[language].headline,
    description: content[language].description,
    instruction: content[language].instruction,
    area: { areaDesc: content.area.name, polygons },
  });
  return {
    identifier: message.identifier,
    sender: issuer.sender,
    sent: message.sent,
    msgType: message.msgType,
    ...(message.note === null ? {} : { note: message.note }),
    references: message.references,
    info: [info('vi'), info('en')],
  };
}

function publicMessage(m: MessageRecord): WarningMessageDto {
  return {
    identifier: m.identifier,
    sender: m.sender,
    sent: capTime(m.sent),
    msgType: m.msgType,
    references: m.references,
    note: m.note,
    capUrl: PUBLIC_WARNING_PATHS.message(m.identifier),
  };
}

/** For everyone: what the warning says, its state and its messages; no incident, no names of people. */
export function toPublicWarning(w: WarningRecord, now: Date): PublicWarningDto {
  const newest = w.messages[w.messages.length - 1];
  const event = WARNING_EVENTS[w.content.type];
  return {
    id: w.id,
    ...w.content,
    state: warningState(w, now),
    event: { vi: event.vi, en: event.en },
    identifier: newest.identifier,
    capUrl: PUBLIC_WARNING_PATHS.cap(w.id),
    publishedAt: w.publishedAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    cancelledAt: w.cancelledAt?.toISOString() ?? null,
    cancelReason: w.cancelReason,
    messages: w.messages.map(publicMessage),
  };
}

/** For the operations room: also the incident, who did what, and what each message said. */
export function toWarning(w: WarningRecord, now: Date): WarningDto {
  return {
    ...toPublicWarning(w, now),
    incidentId: w.incidentId,
    publishedBy: w.publishedBy,
    cancelledBy: w.cancelledBy,
    messages: w.messages.map((m) => ({ ...publicMessage(m), content: m.content, by: m.by })),
  };
}

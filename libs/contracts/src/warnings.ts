import { z } from 'zod';
import { instant } from './history';

/**
 * Public warnings (Bản tin cảnh báo công khai): an incident published to the public as CAP 1.2
 * messages (OASIS Common Alerting Protocol), an Atom feed and a JSON list.
 */
export const WARNING_TYPES = ['flood', 'salinity', 'air_quality', 'storm'] as const;
export type WarningType = (typeof WARNING_TYPES)[number];

/** CAP's own values, as the standard spells them. */
export const CAP_URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
export type CapUrgency = (typeof CAP_URGENCIES)[number];
export const CAP_CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;
export type CapCertainty = (typeof CAP_CERTAINTIES)[number];
export const CAP_SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const;
export type CapSeverity = (typeof CAP_SEVERITIES)[number];
/** A warning's first message is an Alert, each change an Update, its end a Cancel. */
export const CAP_MESSAGE_TYPES = ['Alert', 'Update', 'Cancel'] as const;
export type CapMessageType = (typeof CAP_MESSAGE_TYPES)[number];
/** The CAP categories the warning types fall in. */
export type CapCategory = 'Met' | 'Env';

/** CAP's `event` and `category` of each type, in both languages of the `info` blocks. */
export const WARNING_EVENTS: Record<WarningType, { category: CapCategory; vi: string; en: string }> = {
  flood: { category: 'Met', vi: 'Ngập úng', en: 'Flooding' },
  salinity: { category: 'Env', vi: 'Xâm nhập mặn', en: 'Salinity intrusion' },
  air_quality: { category: 'Env', vi: 'Chất lượng không khí kém', en: 'Poor air quality' },
  storm: { category: 'Met', vi: 'Bão', en: 'Storm' },
};

/** The two `info` blocks of every message, and their CAP `language`. */
export const WARNING_LANGUAGES = { vi: 'vi-VN', en: 'en-US' } as const;
export type WarningLanguage = keyof typeof WARNING_LANGUAGES;

/** active: published, not cancelled, not past its expiry; only active warnings are in the feed and the public list. */
export const WARNING_STATES = ['active', 'expired', 'cancelled'] as const;
export type WarningState = (typeof WARNING_STATES)[number];

/** A warning holds at most this far ahead; an update can extend it. */
export const WARNING_MAX_DAYS = 14;

/** The public routes, for the server's links and every client. */
export const PUBLIC_WARNING_PATHS = {
  list: '/api/public/warnings',
  atom: '/api/public/warnings.atom',
  /** The newest CAP message of a warning. */
  cap: (id: number) => `/api/public/warnings/${id}/cap`,
  /** One CAP message as sent, by its identifier. */
  message: (identifier: string) => `/api/public/warnings/messages/${encodeURIComponent(identifier)}`,
} as const;

const areaId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an area id: lower-case letters, digits and "-", at most 64');

/** CAP: a headline should be under 160 characters, for text messages and small screens. */
const warningTextFields = {
  headline: z.string().trim().min(1, 'must not be empty').max(160),
  description: z.string().trim().min(1, 'must not be empty').max(4000),
  /** What people should do. */
  instruction: z.string().trim().min(1, 'must not be empty').max(2000),
};
export const warningTextSchema = z.strictObject(warningTextFields);
export type WarningText = z.output<typeof warningTextSchema>;

const expires = instant
  .refine((t) => Date.parse(t) > Date.now(), 'must be in the future')
  .refine((t) => Date.parse(t) <= Date.now() + WARNING_MAX_DAYS * 86_400_000, `at most ${WARNING_MAX_DAYS} days from now`);

const capFields = {
  severity: z.enum(CAP_SEVERITIES),
  urgency: z.enum(CAP_URGENCIES),
  certainty: z.enum(CAP_CERTAINTIES),
};

/**
 * POST /api/incidents/:id/warnings. `areaId` unset: the incident's group area, or else the most
 * specific area its device is in.
 */
export const publishWarningSchema = z.strictObject({
  type: z.enum(WARNING_TYPES),
  ...capFields,
  vi: warningTextSchema,
  en: warningTextSchema,
  areaId: areaId.optional(),
  expires,
});
export type PublishWarningInput = z.input<typeof publishWarningSchema>;
export type PublishWarning = z.output<typeof publishWarningSchema>;

/** POST /api/warnings/:id/update: the fields given replace the current ones; `note` says what changed (CAP `note`). */
export const updateWarningSchema = z
  .strictObject({
    severity: capFields.severity.optional(),
    urgency: capFields.urgency.optional(),
    certainty: capFields.certainty.optional(),
    vi: warningTextSchema.partial().optional(),
    en: warningTextSchema.partial().optional(),
    areaId: areaId.optional(),
    expires: expires.optional(),
    note: z.string().trim().min(1, 'must not be empty').max(500).optional(),
  })
  .refine((u) => Object.keys(u).some((k) => k !== 'note'), { message: 'change something: severity, urgency, certainty, vi, en, areaId or expires' });
export type UpdateWarningInput = z.input<typeof updateWarningSchema>;
export type UpdateWarning = z.output<typeof updateWarningSchema>;

/** POST /api/warnings/:id/cancel: the reason is published with the Cancel message. */
export const cancelWarningSchema = z.strictObject({
  reason: z.string().trim().min(1, 'say why: it is published with the cancellation').max(500),
});
export type CancelWarning = z.output<typeof cancelWarningSchema>;

/** GET /api/warnings */
export const listWarningsQuerySchema = z.strictObject({
  state: z.enum(WARNING_STATES).optional(),
  incidentId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ListWarningsQuery = z.output<typeof listWarningsQuerySchema>;

/** What a message says: the whole warning as of that message. */
export interface WarningContentDto {
  type: WarningType;
  severity: CapSeverity;
  urgency: CapUrgency;
  certainty: CapCertainty;
  vi: WarningText;
  en: WarningText;
  area: { id: string; name: string };
  /** ISO-8601 */
  expires: string;
}

/** One CAP message of a warning, as public readers may see it. */
export interface WarningMessageDto {
  identifier: string;
  sender: string;
  /** CAP's form, in Asia/Ho_Chi_Minh: 2026-12-03T17:00:00+07:00. */
  sent: string;
  msgType: CapMessageType;
  /** CAP `references`: "sender,identifier,sent" of each earlier message, separated by spaces; null for the Alert. */
  references: string | null;
  /** CAP `note`: what an update changed, or why it was cancelled. */
  note: string | null;
  /** The CAP XML of this message, as sent. */
  capUrl: string;
}

interface WarningBaseDto extends WarningContentDto {
  id: number;
  state: WarningState;
  /** CAP `event` of its type, in both languages. */
  event: { vi: string; en: string };
  /** The identifier of its newest message. */
  identifier: string;
  /** The newest CAP message. */
  capUrl: string;
  /** ISO-8601 */
  publishedAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: string | null;
}

/** GET /api/public/warnings: no names of people, no incident. */
export interface PublicWarningDto extends WarningBaseDto {
  /** Oldest first. */
  messages: WarningMessageDto[];
}

/** A message with what it said and who sent it, for the operations room. */
export interface WarningVersionDto extends WarningMessageDto {
  content: WarningContentDto;
  by: string | null;
}

/** GET /api/warnings and the answers of publish, update and cancel. */
export interface WarningDto extends WarningBaseDto {
  incidentId: number;
  publishedBy: string | null;
  cancelledBy: string | null;
  /** Every message sent, oldest first. */
  messages: WarningVersionDto[];
}

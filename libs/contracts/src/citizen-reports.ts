import { z } from 'zod';
import { CITIZEN_CATEGORIES, PHOTO_PHASES, phoneSchema, type PhotoPhase } from './incidents';

export type CitizenCategory = (typeof CITIZEN_CATEGORIES)[number];

/** What the console calls each category in Vietnamese; a report's incident is titled "Phản ánh: <name>". */
export const CITIZEN_CATEGORY_NAMES: Record<CitizenCategory, string> = {
  flooding: 'Ngập úng',
  fallen_tree: 'Cây đổ',
  broken_street_light: 'Hỏng đèn chiếu sáng công cộng',
  traffic_accident: 'Tai nạn giao thông',
  pollution: 'Ô nhiễm môi trường',
  illegal_dumping: 'Đổ rác, xả thải trái phép',
  other: 'Khác',
};

/** At most this many photos with one report. */
export const REPORT_MAX_PHOTOS = 3;
/** The multipart file field of a report's photos, and of the one photo added to an incident. */
export const REPORT_PHOTOS_FIELD = 'photos';
export const INCIDENT_PHOTO_FIELD = 'photo';
/** The photo types accepted, told apart by their first bytes, never by the file's name or declared type. */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

/**
 * Tracking codes use Crockford's base 32: digits and capitals without I, L, O and U, so a code read
 * out over the phone or copied by hand has no look-alikes. 10 symbols: 50 random bits.
 */
export const TRACKING_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACKING_CODE_LENGTH = 10;

/** A code as people type it: any case, with spaces or dashes, O read as 0 and I or L as 1. */
export const trackingCodeSchema = z
  .string()
  .max(40)
  .transform((s) =>
    s
      .toUpperCase()
      .replace(/[\s-]/g, '')
      .replace(/O/g, '0')
      .replace(/[IL]/g, '1'),
  )
  .pipe(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{10}$/, 'a tracking code is 10 letters and digits'));

const DECIMAL = /^-?\d{1,3}(\.\d{1,15})?$/;
const NOT_DECIMAL = 'must be a decimal number, e.g. 10.3601';

/** A decimal number: a form field's text, or a number in a JSON body. */
const decimalField = (min: number, max: number) =>
  z
    .union([z.number(), z.string()], { error: NOT_DECIMAL })
    .transform((v, ctx) => {
      if (typeof v === 'number') return v;
      if (DECIMAL.test(v.trim())) return Number(v);
      ctx.addIssue({ code: 'custom', message: NOT_DECIMAL });
      return z.NEVER;
    })
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** A form field left empty means not given. */
const optionalField = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * POST /api/reports, the text fields of a multipart/form-data body; the photos are up to
 * REPORT_MAX_PHOTOS files in the field `photos`. The place is a point: where the sender stands, or
 * where they tapped on a map.
 */
export const createReportSchema = z.strictObject({
  category: z.enum(CITIZEN_CATEGORIES),
  description: z.string().trim().min(1, 'must not be empty').max(2000),
  lat: decimalField(-90, 90),
  lng: decimalField(-180, 180),
  /** A number to call back on; shown only to staff who see the incident. */
  phone: optionalField(phoneSchema),
});
export type CreateReport = z.output<typeof createReportSchema>;

/** What a citizen is told of their report. `merged`: it joined a report of the same problem, whose status it shows. */
export const CITIZEN_REPORT_STATUSES = ['received', 'in_progress', 'resolved', 'rejected'] as const;
export type CitizenReportStatus = (typeof CITIZEN_REPORT_STATUSES)[number];

/** POST /api/reports answers 201 with this: the code is the citizen's only way back to their report. */
export interface ReportReceiptDto {
  code: string;
  status: CitizenReportStatus;
}

/**
 * GET /api/reports/:code, public: what the citizen sent and where it stands, without anyone's
 * name, phone, team or photo.
 */
export interface ReportTrackingDto {
  code: string;
  category: CitizenCategory;
  /** The citizen's own words. */
  description: string;
  /** ISO-8601 */
  submittedAt: string;
  photoCount: number;
  status: CitizenReportStatus;
  /** ISO-8601 of the newest change of that status. */
  updatedAt: string;
  /** Joined with a report of the same problem nearby: status and outcome are that one's. */
  merged: boolean;
  /** resolved: what was done; rejected: why. */
  outcome: string | null;
  /** Whether the citizen is asked to rate the work: resolved and not rated yet. */
  ratingAsked: boolean;
  rating: { rating: number; comment: string | null; ratedAt: string } | null;
}

/** POST /api/reports/:code/rating, once the work is done: 1 (bad) to 5 (good). */
export const rateReportSchema = z.strictObject({
  rating: z.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5'),
  comment: z.string().trim().min(1, 'must not be empty').max(1000).optional(),
});
export type RateReport = z.output<typeof rateReportSchema>;

/** POST /api/incidents/:id/photos: the text fields beside the one photo in `photo`. */
export const addPhotoSchema = z.strictObject({
  phase: z.enum(PHOTO_PHASES),
  note: optionalField(z.string().trim().min(1).max(2000)),
});
export type AddPhoto = z.output<typeof addPhotoSchema>;

/** A photo of an incident (GET /api/incidents/:id/photos): a citizen's, or one taken by staff before or after the work. */
export interface IncidentPhotoDto {
  id: number;
  /** The incident it was added to: this one, or a report merged into it. */
  incidentId: number;
  /** null: a citizen's photo, sent with the report. */
  phase: PhotoPhase | null;
  note: string | null;
  contentType: PhotoType;
  bytes: number;
  width: number;
  height: number;
  /** Who took it; null: the citizen who reported. */
  takenBy: string | null;
  /** ISO-8601 */
  takenAt: string;
  /** Where to GET the image, for anyone who sees the incident. */
  url: string;
}

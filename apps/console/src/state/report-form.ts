import {
  CITIZEN_CATEGORIES,
  createReportSchema,
  PHOTO_TYPES,
  REPORT_MAX_PHOTOS,
  REPORT_PHOTOS_FIELD,
  type CitizenCategory,
} from '@ioc/contracts';

/** What a citizen has filled in so far on /phan-anh. */
export interface ReportDraft {
  category: CitizenCategory | '';
  description: string;
  /** Where they stand (their phone's position) or where they tapped on the map. */
  location: { lat: number; lng: number } | null;
  photos: File[];
  phone: string;
}

export const emptyDraft: ReportDraft = { category: '', description: '', location: null, photos: [], phone: '' };

export type ReportField = 'category' | 'description' | 'location' | 'phone';

/** Six decimals are about 10 cm: more than a phone knows, and within the server's number format. */
const coordinate = (value: number) => value.toFixed(6);

/** The text fields as the server reads them; empty ones are left out. */
export function reportFields(draft: ReportDraft): Record<string, string> {
  const fields: Record<string, string> = { category: draft.category, description: draft.description };
  if (draft.location !== null) {
    fields.lat = coordinate(draft.location.lat);
    fields.lng = coordinate(draft.location.lng);
  }
  if (draft.phone.trim() !== '') fields.phone = draft.phone;
  return fields;
}

/**
 * The fields the server would refuse, checked with its own schema so that the form and the server
 * never disagree; empty when the draft can be sent.
 */
export function reportProblems(draft: ReportDraft): ReportField[] {
  const parsed = createReportSchema.safeParse(reportFields(draft));
  if (parsed.success) return [];
  const fields = new Set<ReportField>();
  for (const issue of parsed.error.issues) {
    const key = issue.path[0];
    if (key === 'lat' || key === 'lng') fields.add('location');
    else if (key === 'category' || key === 'description' || key === 'phone') fields.add(key);
  }
  return [...fields];
}

/** The multipart body of POST /api/reports. */
export function reportFormData(draft: ReportDraft): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(reportFields(draft))) body.append(name, value);
  for (const photo of draft.photos) body.append(REPORT_PHOTOS_FIELD, photo, photo.name);
  return body;
}

export type PhotoRefusal = 'too-many' | 'type';

/**
 * Photos picked on top of those already chosen: kept up to REPORT_MAX_PHOTOS; a file whose type
 * is not a photo the server takes is left out. The server checks the bytes again.
 */
export function addPhotos(current: readonly File[], picked: readonly File[]): { photos: File[]; refused: PhotoRefusal | null } {
  const photos = [...current];
  let refused: PhotoRefusal | null = null;
  for (const file of picked) {
    if (!(PHOTO_TYPES as readonly string[]).includes(file.type)) refused ??= 'type';
    else if (photos.length >= REPORT_MAX_PHOTOS) refused = 'too-many';
    else photos.push(file);
  }
  return { photos, refused };
}

export const isCitizenCategory = (value: string): value is CitizenCategory => (CITIZEN_CATEGORIES as readonly string[]).includes(value);

export type ReportFailureReason =
  | 'invalid'
  | 'invalid-place'
  | 'invalid-photo'
  | 'too-large'
  | 'too-many-reports'
  | 'not-found'
  | 'conflict'
  | 'unreachable'
  | 'server';

/** What a failed request shows: a line of our own by reason, and the server's message where it helps. */
export interface ReportFailure {
  reason: ReportFailureReason;
  serverMessage: string | null;
}

/** What the server said of a refused request: its message, and the fields it names. */
export interface RefusalBody {
  message: string | null;
  issues?: readonly { path: string }[];
}

/**
 * The fields a refusal names: by its issues' paths (`photos.1`), or else by its message, which
 * starts with them (`lat, lng: the place is outside every area`).
 */
export function refusedFields({ message, issues }: RefusalBody): Set<string> {
  const named = issues && issues.length > 0 ? issues.map((issue) => issue.path) : [/^([\w.]+(?:, [\w.]+)*):/.exec(message ?? '')?.[1] ?? ''];
  return new Set(named.flatMap((path) => path.split(', ')).map((path) => path.split('.')[0]));
}

/** `status` 0: no answer at all (offline, the server down). */
export function reportFailure(status: number, body: RefusalBody = { message: null }): ReportFailure {
  const message = body.message === null || body.message.trim() === '' ? null : body.message;
  if (status === 0) return { reason: 'unreachable', serverMessage: null };
  if (status === 413) return { reason: 'too-large', serverMessage: message };
  // The limit is the point: the server's wording (addresses, windows) adds nothing for a citizen.
  if (status === 429) return { reason: 'too-many-reports', serverMessage: null };
  if (status === 404) return { reason: 'not-found', serverMessage: null };
  // Already rated, or no longer to be rated: the page is out of date.
  if (status === 409) return { reason: 'conflict', serverMessage: null };
  if (status >= 400 && status < 500) {
    const fields = refusedFields(body);
    // The form checks the place's numbers itself: what the server refuses is where it is.
    if (fields.has('lat') || fields.has('lng')) return { reason: 'invalid-place', serverMessage: null };
    if (fields.has('photos') || fields.has('photo')) return { reason: 'invalid-photo', serverMessage: message };
    return { reason: 'invalid', serverMessage: message };
  }
  return { reason: 'server', serverMessage: null };
}

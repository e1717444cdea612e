import { trackingCodeSchema } from '@ioc/contracts';

/** The public pages for citizens, reached without a login. */
export const REPORT_PATH = '/phan-anh';

export type CitizenRoute =
  | { page: 'report' }
  /** `code`: as the server writes it, or null when what was typed cannot be a tracking code. */
  | { page: 'tracking'; code: string | null; typed: string };

/** The citizen page a path shows; null for every other path (the staff console). */
export function citizenRoute(pathname: string): CitizenRoute | null {
  const path = pathname.replace(/\/+$/, '');
  if (path === REPORT_PATH) return { page: 'report' };
  if (!path.startsWith(`${REPORT_PATH}/`)) return null;
  const typed = safeDecode(path.slice(REPORT_PATH.length + 1));
  return { page: 'tracking', code: normalizeTrackingCode(typed), typed };
}

/** A code as typed or read out (any case, spaces, O for 0), as the server writes it; null if it cannot be one. */
export function normalizeTrackingCode(typed: string): string | null {
  const parsed = trackingCodeSchema.safeParse(typed);
  return parsed.success ? parsed.data : null;
}

export const trackingPath = (code: string) => `${REPORT_PATH}/${encodeURIComponent(code)}`;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

import type { CitizenCategory, CitizenReportStatus, IncidentDto, IncidentTimelineEntryDto, ReportTrackingDto } from '@ioc/contracts';
import type { ReportRecord } from './citizen-reports.repository';

export type TrackedIncident = Pick<IncidentDto, 'state' | 'acknowledgedAt' | 'dispatchedAt' | 'resolvedAt' | 'closedAt' | 'rejectionReason'>;

/** What a citizen is told of the incident their report is now part of. */
export function citizenStatus(incident: TrackedIncident): CitizenReportStatus {
  switch (incident.state) {
    case 'open':
      return 'received';
    case 'acknowledged':
    case 'dispatched':
      return 'in_progress';
    case 'resolved':
      return 'resolved';
    case 'closed':
      return incident.rejectionReason !== null ? 'rejected' : 'resolved';
  }
}

/** When the incident reached that status; never before the report was sent (a merge into older work). */
function statusTime(incident: TrackedIncident, status: CitizenReportStatus, submittedAt: string): string {
  const at = {
    received: null,
    in_progress: incident.dispatchedAt ?? incident.acknowledgedAt,
    resolved: incident.resolvedAt ?? incident.closedAt,
    rejected: incident.closedAt,
  }[status];
  return at !== null && at > submittedAt ? at : submittedAt;
}

/** The note of the newest resolve: what the team says it did. */
export function resolveNote(timeline: readonly IncidentTimelineEntryDto[]): string | null {
  return timeline.findLast((e) => e.step === 'resolved')?.note ?? null;
}

/**
 * The public view of a report: its own category and words, and the status and outcome of the
 * incident it is part of now (`current`: its own, or the one it was merged into). Only what the
 * citizen sent and what they should hear: no names, phones, teams, ids or photos.
 */
export function trackingOf(
  report: ReportRecord,
  own: Pick<IncidentDto, 'category' | 'description'>,
  current: TrackedIncident,
  merged: boolean,
  outcomeNote: string | null,
): ReportTrackingDto {
  const status = citizenStatus(current);
  return {
    code: report.code,
    category: own.category as CitizenCategory,
    description: own.description ?? '',
    submittedAt: report.submittedAt,
    photoCount: report.photoCount,
    status,
    updatedAt: statusTime(current, status, report.submittedAt),
    merged,
    outcome: status === 'rejected' ? current.rejectionReason : status === 'resolved' ? outcomeNote : null,
    ratingAsked: status === 'resolved' && report.rating === null,
    rating: report.rating,
  };
}

import type { IncidentTimelineEntryDto } from '@ioc/contracts';
import type { ReportRecord } from './citizen-reports.repository';
import { citizenStatus, resolveNote, trackingOf, type TrackedIncident } from './tracking';

const SENT = '2026-11-23T07:00:00.000Z';
const report: ReportRecord = { code: '7K2M9P4Q0X', incidentId: 12, submittedAt: SENT, photoCount: 2, rating: null };
const own = { category: 'flooding' as const, description: 'Nước ngập ngang gối trước chợ' };
const incident = (over: Partial<TrackedIncident> = {}): TrackedIncident => ({
  state: 'open',
  acknowledgedAt: null,
  dispatchedAt: null,
  resolvedAt: null,
  closedAt: null,
  rejectionReason: null,
  ...over,
});
const entry = (step: IncidentTimelineEntryDto['step'], note: string | null) => ({ step, note }) as IncidentTimelineEntryDto;

describe('citizenStatus', () => {
  it('tells received, in progress, resolved and rejected apart', () => {
    expect(citizenStatus(incident())).toBe('received');
    expect(citizenStatus(incident({ state: 'acknowledged' }))).toBe('in_progress');
    expect(citizenStatus(incident({ state: 'dispatched' }))).toBe('in_progress');
    expect(citizenStatus(incident({ state: 'resolved' }))).toBe('resolved');
    expect(citizenStatus(incident({ state: 'closed', resolvedAt: SENT }))).toBe('resolved');
    expect(citizenStatus(incident({ state: 'closed', rejectionReason: 'Trùng lặp' }))).toBe('rejected');
  });
});

describe('trackingOf', () => {
  it('shows a fresh report as received, asking nothing yet', () => {
    expect(trackingOf(report, own, incident(), false, null)).toEqual({
      code: '7K2M9P4Q0X',
      category: 'flooding',
      description: 'Nước ngập ngang gối trước chợ',
      submittedAt: SENT,
      photoCount: 2,
      status: 'received',
      updatedAt: SENT,
      merged: false,
      outcome: null,
      ratingAsked: false,
      rating: null,
    });
  });

  it('gives the resolve note as the outcome and asks for a rating until one is given', () => {
    const done = incident({ state: 'resolved', acknowledgedAt: '2026-11-23T07:05:00.000Z', resolvedAt: '2026-11-23T09:00:00.000Z' });
    expect(trackingOf(report, own, done, false, 'Đã thông cống')).toMatchObject({
      status: 'resolved',
      updatedAt: '2026-11-23T09:00:00.000Z',
      outcome: 'Đã thông cống',
      ratingAsked: true,
    });
    const rated = { ...report, rating: { rating: 4, comment: null, ratedAt: '2026-11-23T10:00:00.000Z' } };
    expect(trackingOf(rated, own, done, false, 'Đã thông cống')).toMatchObject({ ratingAsked: false, rating: { rating: 4 } });
  });

  it('gives the reason of a rejection, and asks no rating', () => {
    const rejected = incident({ state: 'closed', closedAt: '2026-11-23T07:10:00.000Z', rejectionReason: 'Không thuộc địa bàn' });
    expect(trackingOf(report, own, rejected, false, null)).toMatchObject({ status: 'rejected', outcome: 'Không thuộc địa bàn', ratingAsked: false });
  });

  it("follows the incident it was merged into, never dating a status before the report", () => {
    const older = incident({ state: 'dispatched', acknowledgedAt: '2026-11-23T06:00:00.000Z', dispatchedAt: '2026-11-23T06:30:00.000Z' });
    expect(trackingOf(report, own, older, true, null)).toMatchObject({ status: 'in_progress', merged: true, updatedAt: SENT, outcome: null });
  });
});

describe('resolveNote', () => {
  it('takes the newest resolve', () => {
    expect(resolveNote([entry('opened', null), entry('resolved', 'lần 1'), entry('reopened', null), entry('resolved', 'lần 2'), entry('closed', 'xong')])).toBe('lần 2');
    expect(resolveNote([entry('opened', null)])).toBeNull();
  });
});

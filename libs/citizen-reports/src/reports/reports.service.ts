import { Injectable } from '@nestjs/common';
import {
  CITIZEN_CATEGORY_NAMES,
  type CreateReport,
  type IncidentDto,
  type RateReport,
  type ReportReceiptDto,
  type ReportTrackingDto,
} from '@ioc/contracts';
import { IncidentsRepository, IncidentsService } from '@ioc/alerting';
import { AreasService } from '@ioc/areas';
import { ErrorCode, IocError } from '@ioc/common';
import { IncidentPhotosRepository } from '../photos/incident-photos.repository';
import { PhotoFiles } from '../photos/photo-files';
import type { UploadedPhoto } from '../photos/photo-upload.interceptor';
import { PublicRateLimits } from '../rate-limits/public-rate-limits';
import { SenderKeys } from '../rate-limits/sender-keys';
import { CitizenReportsRepository, type ReportRecord } from './citizen-reports.repository';
import { newTrackingCode } from './tracking-code';
import { citizenStatus, resolveNote, trackingOf } from './tracking';

/** A merged incident may itself have been merged; a longer chain than this is a loop. */
const MAX_MERGE_HOPS = 10;

/**
 * Citizens' field reports: the public intake, the tracking page and the rating. A report is an
 * incident like any other (source citizen), opened in the same transaction as the report's row,
 * its photos' rows and their timeline steps.
 */
@Injectable()
export class ReportsService {
  constructor(
    private readonly reports: CitizenReportsRepository,
    private readonly photoRows: IncidentPhotosRepository,
    private readonly photos: PhotoFiles,
    private readonly incidents: IncidentsService,
    private readonly incidentRows: IncidentsRepository,
    private readonly areas: AreasService,
    private readonly limits: PublicRateLimits,
    private readonly senders: SenderKeys,
  ) {}

  /** `address`: the client's, as express gives it (TRUST_PROXY decides whose). */
  async submit(input: CreateReport, files: readonly UploadedPhoto[], address: string): Promise<ReportReceiptDto> {
    if (this.areas.containing(input.lat, input.lng).length === 0) {
      throw new IocError(ErrorCode.Invalid, 'lat, lng: the place is outside every area this centre serves');
    }
    const sender = this.senders.ofAddress(address);
    const phone = input.phone === undefined ? null : this.senders.ofPhone(input.phone);
    await this.limits.takeReportAddress(sender);
    if (phone) await this.limits.checkReportPhone(phone);
    const kept = await this.photos.keep(files, 'photos');
    let code = '';
    try {
      await this.incidents.openReported(
        {
          source: 'citizen',
          title: `Phản ánh: ${CITIZEN_CATEGORY_NAMES[input.category]}`,
          severity: 'warning',
          category: input.category,
          description: input.description,
          location: { lat: input.lat, lng: input.lng },
          reporterPhone: input.phone ?? null,
          deviceId: null,
          actor: null,
        },
        async (client, opened) => {
          const incidentId = opened.incident.id;
          if (phone) await this.limits.takeReportPhone(client, phone);
          do code = newTrackingCode();
          while (!(await this.reports.insert(client, { code, incidentId, senderHash: sender })));
          for (const photo of kept) {
            const photoId = await this.photoRows.insert(client, { ...photo, incidentId, phase: null, note: null, takenBy: null });
            await this.incidentRows.appendEntry(client, incidentId, { step: 'photo_added', actor: null, photoId });
          }
        },
      );
    } catch (err) {
      await this.photos.discard(kept);
      throw err;
    }
    return { code, status: 'received' };
  }

  async track(code: string): Promise<ReportTrackingDto> {
    const report = await this.find(code);
    const { own, current, merged } = await this.follow(report);
    const note = citizenStatus(current) === 'resolved' ? resolveNote(await this.incidentRows.timeline(current.id)) : null;
    return trackingOf(report, own, current, merged, note);
  }

  /** Once the work is done, once per report; counted per address like the reports. */
  async rate(code: string, input: RateReport, address: string): Promise<ReportTrackingDto> {
    await this.limits.takeRating(this.senders.ofAddress(address));
    const report = await this.find(code);
    const { current } = await this.follow(report);
    const status = citizenStatus(current);
    if (report.rating !== null) throw new IocError(ErrorCode.Conflict, 'this report has been rated already');
    if (status === 'rejected') throw new IocError(ErrorCode.Conflict, 'this report was rejected: there is no work to rate');
    if (status !== 'resolved') throw new IocError(ErrorCode.Conflict, 'the work on this report is not finished: rate it once it is resolved');
    const rated = await this.reports.rate(code, { rating: input.rating, comment: input.comment ?? null, ratedIncidentId: current.id });
    if (rated === null) throw new IocError(ErrorCode.Conflict, 'this report has been rated already');
    return this.track(rated.code);
  }

  private async find(code: string): Promise<ReportRecord> {
    const report = await this.reports.find(code);
    if (!report) throw new IocError(ErrorCode.NotFound, `no report has the tracking code ${code}`);
    return report;
  }

  /** The report's own incident, and the one it is part of now (the end of its merges). */
  private async follow(report: ReportRecord): Promise<{ own: IncidentDto; current: IncidentDto; merged: boolean }> {
    const own = await this.incidentRows.find(report.incidentId);
    if (!own) throw new IocError(ErrorCode.NotFound, `no report has the tracking code ${report.code}`);
    let current = own;
    for (let hops = 0; current.mergedIntoId !== null && hops < MAX_MERGE_HOPS; hops++) {
      const next = await this.incidentRows.find(current.mergedIntoId);
      if (!next) break;
      current = next;
    }
    return { own, current, merged: current !== own };
  }
}

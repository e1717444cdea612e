import { Body, Controller, Get, HttpCode, Param, Post, UploadedFiles, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  createReportSchema,
  rateReportSchema,
  REPORT_MAX_PHOTOS,
  REPORT_PHOTOS_FIELD,
  trackingCodeSchema,
  type CreateReport,
  type RateReport,
  type ReportReceiptDto,
  type ReportTrackingDto,
} from '@ioc/contracts';
import { Public } from '@ioc/auth';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { ApiMultipart } from '../photos/api-multipart';
import { PhotoUpload, type UploadedPhoto } from '../photos/photo-upload.interceptor';
import { RateLimitedFilter } from '../rate-limits/rate-limited';
import { ClientAddress } from './client-address';
import { ReportAddressGuard } from './report-address.guard';
import { ReportsService } from './reports.service';

const trackingCode = new ZodValidationPipe(trackingCodeSchema);

/** The citizens' side: no login, limits per sender instead. */
@Controller('api/reports')
@UseFilters(RateLimitedFilter)
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  /** A field report: multipart/form-data with the fields below and up to 3 photos in `photos`. Answers the tracking code. */
  @Post()
  @Public()
  @UseGuards(ReportAddressGuard)
  @UseInterceptors(PhotoUpload(REPORT_PHOTOS_FIELD, REPORT_MAX_PHOTOS))
  @ApiMultipart(createReportSchema, REPORT_PHOTOS_FIELD, REPORT_MAX_PHOTOS)
  submit(
    @Body(new ZodValidationPipe(createReportSchema)) body: CreateReport,
    @UploadedFiles() files: UploadedPhoto[] | undefined,
    @ClientAddress() address: string,
  ): Promise<ReportReceiptDto> {
    return this.reports.submit(body, files ?? [], address);
  }

  @Get(':code')
  @Public()
  track(@Param('code', trackingCode) code: string): Promise<ReportTrackingDto> {
    return this.reports.track(code);
  }

  @Post(':code/rating')
  @HttpCode(200)
  @Public()
  @ApiZodBody(rateReportSchema)
  rate(
    @Param('code', trackingCode) code: string,
    @Body(new ZodValidationPipe(rateReportSchema)) body: RateReport,
    @ClientAddress() address: string,
  ): Promise<ReportTrackingDto> {
    return this.reports.rate(code, body, address);
  }
}

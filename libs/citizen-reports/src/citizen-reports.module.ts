import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { AlertingModule } from '@ioc/alerting';
import { AreasModule } from '@ioc/areas';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { DiskPhotoStore } from './photos/disk-photo-store';
import { IncidentPhotosRepository } from './photos/incident-photos.repository';
import { IncidentPhotosService } from './photos/incident-photos.service';
import { PhotoFiles } from './photos/photo-files';
import { PHOTO_STORE } from './photos/photo-store';
import { PublicRateLimits } from './rate-limits/public-rate-limits';
import { PublicRateLimitsRepository } from './rate-limits/public-rate-limits.repository';
import { SenderKeys } from './rate-limits/sender-keys';
import { CitizenReportsRepository } from './reports/citizen-reports.repository';
import { ReportAddressGuard } from './reports/report-address.guard';
import { ReportsService } from './reports/reports.service';

/** Citizens' field reports (intake, tracking, rating) and the photos of incidents. */
@Module({
  imports: [AlertingModule, AreasModule],
  providers: [
    { provide: PHOTO_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new DiskPhotoStore(config.PHOTO_DIR ?? join(config.DATA_DIR, 'photos')) },
    PhotoFiles,
    IncidentPhotosRepository,
    IncidentPhotosService,
    CitizenReportsRepository,
    ReportsService,
    PublicRateLimitsRepository,
    PublicRateLimits,
    SenderKeys,
    ReportAddressGuard,
  ],
  exports: [ReportsService, IncidentPhotosService, PublicRateLimits, SenderKeys, ReportAddressGuard],
})
export class CitizenReportsModule {}

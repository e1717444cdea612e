export { CitizenReportsModule } from './citizen-reports.module';
export { ReportsController } from './reports/reports.controller';
export { IncidentPhotosController } from './photos/incident-photos.controller';
export type { PhotoStore } from './photos/photo-store';

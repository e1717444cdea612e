export { AreasModule } from './areas.module';
export { AreasService } from './areas.service';
export { AreaIndex } from './area-index';
export { parseAreaFile } from './area-file';
export { AreasController } from './areas.controller';

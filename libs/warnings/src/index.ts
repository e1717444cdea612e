export { WarningsModule } from './warnings.module';
export { WarningsController, WARNING_PUBLISHERS } from './warnings.controller';
export { PublicWarningsController } from './public-warnings.controller';
export { WarningsService } from './warnings.service';
export { capAlertXml, capReferences, capTime, CAP_MEDIA_TYPE, CAP_NAMESPACE, type CapAlert, type CapInfo, type CapReference } from './cap/cap-xml';
export { capPolygons, CAP_MAX_POLYGON_POINTS } from './cap/cap-polygon';
export { atomFeedXml, ATOM_MEDIA_TYPE, type AtomFeed, type AtomEntry } from './atom/atom-feed';

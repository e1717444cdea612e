import { Injectable } from '@nestjs/common';
import type { AddPhoto, IncidentPhotoDto, PhotoType } from '@ioc/contracts';
import { canSee, IncidentsRepository, IncidentsService } from '@ioc/alerting';
import type { Principal } from '@ioc/auth';
import { ErrorCode, IocError } from '@ioc/common';
import { IncidentPhotosRepository, photoUrl } from './incident-photos.repository';
import { PhotoFiles } from './photo-files';
import type { UploadedPhoto } from './photo-upload.interceptor';

/**
 * Photos on an incident's timeline: staff add them where they may comment (a field team on its
 * own incident, before and after the work); whoever sees the incident sees them, citizens' too.
 * An incident the caller may not see has no photos for them (404, as the incident itself).
 */
@Injectable()
export class IncidentPhotosService {
  constructor(
    private readonly rows: IncidentPhotosRepository,
    private readonly files: PhotoFiles,
    private readonly incidents: IncidentsService,
    private readonly incidentRows: IncidentsRepository,
  ) {}

  async add(incidentId: number, file: UploadedPhoto | undefined, input: AddPhoto, principal: Principal): Promise<IncidentPhotoDto> {
    if (!file) throw new IocError(ErrorCode.Invalid, 'photo: attach one photo (JPEG, PNG or WebP) as "photo"');
    // Before any re-encoding: a stranger to the incident costs nothing.
    await this.visible(incidentId, principal);
    const [kept] = await this.files.keep([file], 'photo');
    const takenBy = { id: principal.userId, username: principal.username };
    let photoId = 0;
    try {
      const { entry } = await this.incidents.addPhoto(incidentId, input.note ?? null, principal, async (client) => {
        photoId = await this.rows.insert(client, { ...kept, incidentId, phase: input.phase, note: input.note ?? null, takenBy });
        return photoId;
      });
      const { contentType, bytes, width, height } = kept;
      const note = input.note ?? null;
      return { id: photoId, incidentId, phase: input.phase, note, contentType, bytes, width, height, takenBy: principal.username, takenAt: entry.at, url: photoUrl(incidentId, photoId) };
    } catch (err) {
      await this.files.discard([kept]);
      throw err;
    }
  }

  async list(incidentId: number, principal: Principal): Promise<IncidentPhotoDto[]> {
    await this.visible(incidentId, principal);
    return this.rows.list(incidentId);
  }

  async read(incidentId: number, photoId: number, principal: Principal): Promise<{ data: Buffer; contentType: PhotoType }> {
    await this.visible(incidentId, principal);
    const photo = await this.rows.find(incidentId, photoId);
    const data = photo && (await this.files.read(photo.storageKey));
    if (!photo || !data) throw new IocError(ErrorCode.NotFound, `incident ${incidentId} has no photo ${photoId}`);
    return { data, contentType: photo.contentType };
  }

  private async visible(incidentId: number, principal: Principal): Promise<void> {
    const incident = await this.incidentRows.find(incidentId);
    if (!incident || !canSee(principal, incident)) throw new IocError(ErrorCode.NotFound, `incident ${incidentId} does not exist`);
  }
}

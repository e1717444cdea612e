import { Body, Controller, Get, Param, Post, Req, StreamableFile, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { z } from 'zod';
import { addPhotoSchema, INCIDENT_ACTION_ROLES, INCIDENT_PHOTO_FIELD, type AddPhoto, type IncidentPhotoDto } from '@ioc/contracts';
import { Allow, READERS, type AuthenticatedRequest } from '@ioc/auth';
import { ZodValidationPipe } from '@ioc/common';
import { ApiMultipart } from './api-multipart';
import { IncidentPhotosService } from './incident-photos.service';
import { PhotoUpload, type UploadedPhoto } from './photo-upload.interceptor';
import { EXTENSIONS } from './photo-type';

const positiveId = (name: string) =>
  new ZodValidationPipe(z.string().regex(/^[1-9]\d{0,15}$/, `${name}: must be a positive whole number`).transform(Number));
const incidentId = positiveId('id');
const photoId = positiveId('photoId');

/** Photos on an incident: added where a comment may be, read by whoever sees the incident. */
@Controller('api/incidents/:id/photos')
export class IncidentPhotosController {
  constructor(private readonly photos: IncidentPhotosService) {}

  /** One photo in `photo` (multipart/form-data), before or after the work; a `photo_added` step on the timeline. */
  @Post()
  @Allow(...INCIDENT_ACTION_ROLES.comment)
  @UseInterceptors(PhotoUpload(INCIDENT_PHOTO_FIELD, 1))
  @ApiMultipart(addPhotoSchema, INCIDENT_PHOTO_FIELD, 1)
  add(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(addPhotoSchema)) body: AddPhoto,
    @UploadedFiles() files: UploadedPhoto[] | undefined,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentPhotoDto> {
    return this.photos.add(id, files?.[0], body, request.principal!);
  }

  /** Oldest first, with the photos of the reports merged into it. */
  @Get()
  @Allow(...READERS.incidents)
  list(@Param('id', incidentId) id: number, @Req() request: AuthenticatedRequest): Promise<IncidentPhotoDto[]> {
    return this.photos.list(id, request.principal!);
  }

  @Get(':photoId')
  @Allow(...READERS.incidents)
  async read(@Param('id', incidentId) id: number, @Param('photoId', photoId) photo: number, @Req() request: AuthenticatedRequest): Promise<StreamableFile> {
    const { data, contentType } = await this.photos.read(id, photo, request.principal!);
    return new StreamableFile(data, {
      type: contentType,
      length: data.length,
      disposition: `inline; filename="incident-${id}-photo-${photo}.${EXTENSIONS[contentType]}"`,
    });
  }
}

import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { ErrorCode, IocError } from '@ioc/common';
import { uploadError } from './photo-upload.interceptor';

const MB5 = 5 * 1024 ** 2;
const said = (message: string) => uploadError(new BadRequestException(message), 'photos', 3, MB5) as IocError;

describe('uploadError', () => {
  it('names the field and the bound multer refused', () => {
    expect(uploadError(new PayloadTooLargeException('File too large'), 'photos', 3, MB5)).toMatchObject({
      code: ErrorCode.TooLarge,
      message: 'photos: each photo must be at most 5 MB',
    });
    expect(said('Too many files')).toMatchObject({ code: ErrorCode.Invalid, message: 'photos: at most 3 photos' });
    expect(said('Unexpected file field - photos')).toMatchObject({ message: 'photos: at most 3 photos' });
    expect(said('Unexpected field - photos')).toMatchObject({ message: 'photos: at most 3 photos' });
    expect(said('Unexpected file field - avatar')).toMatchObject({ message: 'avatar: no file is taken here; send at most 3 photos as "photos"' });
    expect(said('Too many parts')).toMatchObject({ message: 'too many form fields: at most 10 besides at most 3 photos' });
    expect(said('Field value too long - description')).toMatchObject({ message: 'description: at most 16 kB' });
    expect(said('Multipart: Unexpected end of form')).toMatchObject({ message: 'not a multipart form that can be read: Multipart: Unexpected end of form' });
    expect(uploadError(new BadRequestException('Too many files'), 'photo', 1, MB5)).toMatchObject({ message: 'photo: one photo' });
  });

  it('passes anything else on', () => {
    const other = new Error('socket hang up');
    expect(uploadError(other, 'photos', 3, MB5)).toBe(other);
  });
});

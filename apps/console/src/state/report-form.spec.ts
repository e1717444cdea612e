import { REPORT_MAX_PHOTOS, REPORT_PHOTOS_FIELD } from '@ioc/contracts';
import { addPhotos, emptyDraft, refusedFields, reportFailure, reportFields, reportFormData, reportProblems, type ReportDraft } from './report-form';

const photo = (name: string, type = 'image/jpeg') => new File([new Uint8Array([0xff, 0xd8, 0xff])], name, { type });

const MY_THO = { lat: 10.360_123_456, lng: 106.365_4 };
const complete: ReportDraft = {
  category: 'flooding',
  description: 'Nước ngập ngang bánh xe trên đường Ấp Bắc',
  location: MY_THO,
  photos: [],
  phone: '',
};

describe('reportProblems', () => {
  it('finds nothing wrong with a complete draft', () => {
    expect(reportProblems(complete)).toEqual([]);
    expect(reportProblems({ ...complete, phone: '0912 345 678' })).toEqual([]);
    expect(reportProblems({ ...complete, phone: '+84912345678' })).toEqual([]);
  });

  it('names each field the server would refuse', () => {
    expect(reportProblems(emptyDraft).sort()).toEqual(['category', 'description', 'location']);
    expect(reportProblems({ ...complete, description: '   ' })).toEqual(['description']);
    expect(reportProblems({ ...complete, description: 'x'.repeat(2001) })).toEqual(['description']);
    expect(reportProblems({ ...complete, location: null })).toEqual(['location']);
    expect(reportProblems({ ...complete, location: { lat: 91, lng: 106 } })).toEqual(['location']);
    expect(reportProblems({ ...complete, phone: '12345' })).toEqual(['phone']);
    expect(reportProblems({ ...complete, phone: '0912 345 678 999' })).toEqual(['phone']);
  });

  it('leaves out an empty phone rather than sending it', () => {
    expect(reportFields({ ...complete, phone: '  ' })).not.toHaveProperty('phone');
  });
});

describe('reportFormData', () => {
  it('sends the place to six decimals and each photo in the photos field', () => {
    const photos = [photo('a.jpg'), photo('b.png', 'image/png')];
    const body = reportFormData({ ...complete, photos, phone: '0912345678' });
    expect(body.get('category')).toBe('flooding');
    expect(body.get('description')).toBe(complete.description);
    expect(body.get('lat')).toBe('10.360123');
    expect(body.get('lng')).toBe('106.365400');
    expect(body.get('phone')).toBe('0912345678');
    expect(body.getAll(REPORT_PHOTOS_FIELD).map((f) => (f as File).name)).toEqual(['a.jpg', 'b.png']);
  });
});

describe('addPhotos', () => {
  it(`keeps up to ${REPORT_MAX_PHOTOS} photos and refuses the rest`, () => {
    const first = addPhotos([], [photo('1.jpg'), photo('2.jpg')]);
    expect(first).toMatchObject({ refused: null });
    const second = addPhotos(first.photos, [photo('3.webp', 'image/webp'), photo('4.jpg')]);
    expect(second.photos.map((f) => f.name)).toEqual(['1.jpg', '2.jpg', '3.webp']);
    expect(second.refused).toBe('too-many');
    expect(addPhotos(second.photos, [photo('5.jpg')])).toMatchObject({ photos: second.photos, refused: 'too-many' });
  });

  it('refuses what is not a JPEG, PNG or WebP photo, keeping the others', () => {
    const picked = addPhotos([], [photo('clip.mp4', 'video/mp4'), photo('ok.png', 'image/png'), photo('scan.heic', 'image/heic')]);
    expect(picked.photos.map((f) => f.name)).toEqual(['ok.png']);
    expect(picked.refused).toBe('type');
  });
});

describe('reportFailure', () => {
  const said = (message: string, issues?: { path: string; message: string }[]) => ({ message, issues });

  it('says in our words why a report was not taken', () => {
    expect(reportFailure(429, said('too many reports from this address: try again in 42 minutes'))).toEqual({
      reason: 'too-many-reports',
      serverMessage: null,
    });
    expect(reportFailure(413, said('photos: each photo must be at most 5 MB'))).toEqual({
      reason: 'too-large',
      serverMessage: 'photos: each photo must be at most 5 MB',
    });
    expect(reportFailure(404, said('no report has the tracking code 7K3M9Q2XWD'))).toEqual({ reason: 'not-found', serverMessage: null });
    expect(reportFailure(409, said('this report has been rated already'))).toEqual({ reason: 'conflict', serverMessage: null });
  });

  it('tells a place outside the served areas from a photo that is not one, and from the rest', () => {
    expect(reportFailure(400, said('lat, lng: the place is outside every area this centre serves'))).toEqual({
      reason: 'invalid-place',
      serverMessage: null,
    });
    const notAPhoto = 'photos 2: is not a JPEG, PNG or WebP image (its content says so, whatever its name)';
    expect(reportFailure(400, said(notAPhoto, [{ path: 'photos.1', message: 'is not a JPEG, PNG or WebP image' }]))).toEqual({
      reason: 'invalid-photo',
      serverMessage: notAPhoto,
    });
    expect(reportFailure(400, said('description: must not be empty', [{ path: 'description', message: 'must not be empty' }]))).toEqual({
      reason: 'invalid',
      serverMessage: 'description: must not be empty',
    });
    expect(reportFailure(400, said(''))).toEqual({ reason: 'invalid', serverMessage: null });
  });

  it('tells no answer from a failing server', () => {
    expect(reportFailure(0, said('Failed to fetch'))).toEqual({ reason: 'unreachable', serverMessage: null });
    expect(reportFailure(500, said('Internal server error'))).toEqual({ reason: 'server', serverMessage: null });
    expect(reportFailure(503)).toEqual({ reason: 'server', serverMessage: null });
  });
});

describe('refusedFields', () => {
  it('reads the fields from the issues, or else from the start of the message', () => {
    expect(refusedFields({ message: 'x', issues: [{ path: 'photos.0' }, { path: 'phone' }] })).toEqual(new Set(['photos', 'phone']));
    expect(refusedFields({ message: 'lat, lng: outside' })).toEqual(new Set(['lat', 'lng']));
    expect(refusedFields({ message: 'not a multipart form that can be read' })).toEqual(new Set(['']));
  });
});

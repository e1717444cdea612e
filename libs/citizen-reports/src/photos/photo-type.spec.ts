import { sniffPhotoType } from './photo-type';

const bytes = (...values: (number | string)[]) => Buffer.concat(values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from([v]))));

describe('sniffPhotoType', () => {
  it('knows JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffPhotoType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF'))).toBe('image/jpeg');
    expect(sniffPhotoType(bytes(0xff, 0xd8, 0xff, 0xe1))).toBe('image/jpeg');
    expect(sniffPhotoType(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'IHDR'))).toBe('image/png');
    expect(sniffPhotoType(bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 '))).toBe('image/webp');
  });

  it('knows nothing else, whatever its name would say', () => {
    const refused = [
      bytes(),
      bytes(0xff, 0xd8),
      bytes('hello, this is text named photo.jpg'),
      bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a),
      bytes(0x89, 'PNG', 0x0a, 0x0a, 0x1a, 0x0a),
      bytes('RIFF', 0x24, 0, 0, 0, 'WAVEfmt '),
      bytes('RIFF', 0x24, 0, 0),
      bytes('GIF89a'),
      bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      bytes('%PDF-1.7'),
      bytes(0, 0, 0, 0x18, 'ftypheic'),
    ];
    for (const b of refused) expect(sniffPhotoType(b)).toBeNull();
  });
});

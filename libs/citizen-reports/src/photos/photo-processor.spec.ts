import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { formatBytes, PhotoRejected, processPhoto } from './photo-processor';

const LIMITS = { maxBytes: 5 * 1024 ** 2, maxSidePx: 2560 };

/** A photo as a phone takes it: EXIF with the camera's make and model and where it stood. */
function phonePhoto(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'Secret Model 7', Software: 'CameraApp 1.2' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '10/1 21/1 3600/100', GPSLongitudeRef: 'E', GPSLongitude: '106/1 21/1 3600/100' },
    })
    .toBuffer();
}

/** The markers of a JPEG's segments before its image data. */
function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1];
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return markers;
}

/** The chunk types of a PNG, in order. */
function pngChunks(png: Buffer): string[] {
  const chunks: string[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    chunks.push(png.toString('latin1', at + 4, at + 8));
    at += 12 + length;
  }
  return chunks;
}

/** A PNG with a text chunk after its header, as editors write their names and comments. */
async function pngWithText(): Promise<Buffer> {
  const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#00ff00' } }).png().toBuffer();
  const data = Buffer.from('Comment\0taken at 12 Nguyen Hue, by Nguyen Van A', 'latin1');
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const afterHeader = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, afterHeader), length, type, data, crc, png.subarray(afterHeader)]);
}

describe('processPhoto', () => {
  it('drops EXIF (GPS, make, model) from a JPEG and keeps the picture', async () => {
    const input = await phonePhoto();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    expect(jpegMarkers(input)).toContain(0xe1);
    expect(input.includes('Secret Model 7')).toBe(true);

    const out = await processPhoto(input, LIMITS);
    expect(out).toMatchObject({ contentType: 'image/jpeg', width: 64, height: 48 });
    const meta = await sharp(out.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    // No APP1 (EXIF, XMP) or any APPn but JFIF, nor a comment.
    expect(jpegMarkers(out.data).filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]);
    for (const leak of ['PhoneMaker', 'Secret Model 7', 'CameraApp', 'Exif']) expect(out.data.includes(leak)).toBe(false);
  });

  it('drops text chunks from a PNG', async () => {
    const input = await pngWithText();
    expect(pngChunks(input)).toContain('tEXt');
    const out = await processPhoto(input, LIMITS);
    expect(out.contentType).toBe('image/png');
    // Pixel density (pHYs) may stay; nothing that carries words, dates or a profile.
    expect(pngChunks(out.data).filter((c) => ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME', 'iCCP'].includes(c))).toEqual([]);
    expect(out.data.includes('Nguyen Van A')).toBe(false);
  });

  it('re-encodes a WebP as WebP without its EXIF', async () => {
    const input = await sharp(await phonePhoto()).keepExif().webp().toBuffer();
    expect(input.includes('EXIF')).toBe(true);
    const out = await processPhoto(input, LIMITS);
    expect(out.contentType).toBe('image/webp');
    expect(out.data.includes('EXIF')).toBe(false);
    expect(out.data.includes('Secret Model 7')).toBe(false);
  });

  it('scales a large photo down to the long side allowed, keeping its shape', async () => {
    const out = await processPhoto(await phonePhoto(3000, 1500), { ...LIMITS, maxSidePx: 1000 });
    expect(out).toMatchObject({ width: 1000, height: 500 });
  });

  it('refuses what is not an image by its content, and a file that only starts like one', async () => {
    const text = Buffer.from('Đây là một tệp văn bản, không phải ảnh.\n');
    await expect(processPhoto(text, LIMITS)).rejects.toThrow('is not a JPEG, PNG or WebP image');
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), text]);
    await expect(processPhoto(fake, LIMITS)).rejects.toThrow(/^cannot be read as a JPEG image/);
    const cut = await phonePhoto();
    await expect(processPhoto(cut.subarray(0, cut.length - 200), LIMITS)).rejects.toThrow(PhotoRejected);
    // A PNG's signature in front of a JPEG: the decoder's format must be the one the bytes claim.
    const png = await pngWithText();
    const mixed = Buffer.concat([png.subarray(0, 8), cut]);
    await expect(processPhoto(mixed, LIMITS)).rejects.toThrow(PhotoRejected);
  });

  it('refuses a file over the size limit as too large, and a canvas of too many pixels', async () => {
    const input = await phonePhoto();
    const refused = await processPhoto(input, { ...LIMITS, maxBytes: 100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PhotoRejected);
    expect(refused).toMatchObject({ message: 'is larger than 100 bytes', tooLarge: true });
    const huge = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
    await expect(processPhoto(huge, LIMITS)).rejects.toMatchObject({ message: 'has more than 50 million pixels', tooLarge: false });
  });
});

describe('formatBytes', () => {
  it('says sizes as people set them', () => {
    expect(formatBytes(5 * 1024 ** 2)).toBe('5 MB');
    expect(formatBytes(512 * 1024)).toBe('512 kB');
    expect(formatBytes(1000)).toBe('1000 bytes');
  });
});

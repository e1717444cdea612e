import sharp from 'sharp';
import type { PhotoType } from '@ioc/contracts';
import { sniffPhotoType } from './photo-type';

export interface PhotoLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** The long side of the stored image, in pixels; larger images are scaled down. */
  maxSidePx: number;
}

export interface ProcessedPhoto {
  data: Buffer;
  contentType: PhotoType;
  width: number;
  height: number;
}

/** Why a photo is refused, for the sender; `tooLarge` answers 413, the others 400. */
export class PhotoRejected extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

const FORMAT = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' } as const satisfies Record<PhotoType, string>;
const NAMES: Record<PhotoType, string> = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP' };

/**
 * Refused before decoding: a few kilobytes can declare a canvas of gigapixels. 50 million covers
 * what phone cameras take by default (12 to 50 MP); a PNG that large still decodes in about 200 MB.
 */
const MAX_INPUT_PIXELS = 50_000_000;
/** Longest a re-encode may take; past it the photo is refused rather than holding a worker thread. */
const TIMEOUT_S = 20;

/**
 * Re-encodes a photo, so that what is stored and served is pixels only: the decoder reads the
 * whole file (one that only starts like an image is refused), the EXIF orientation is applied,
 * the image is scaled down to `maxSidePx`, and the encoder writes no metadata (EXIF with GPS and
 * the device's make and serial, XMP, IPTC, comments, ICC profiles: colours are converted to sRGB).
 * The type stays the one the content says.
 */
export async function processPhoto(input: Buffer, limits: PhotoLimits): Promise<ProcessedPhoto> {
  if (input.length > limits.maxBytes) throw new PhotoRejected(`is larger than ${formatBytes(limits.maxBytes)}`, true);
  const contentType = sniffPhotoType(input);
  if (contentType === null) throw new PhotoRejected('is not a JPEG, PNG or WebP image (its content says so, whatever its name)');
  const format = FORMAT[contentType];
  try {
    // A single frame: an animation is not a photo, and its frames could hide more.
    const image = sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, animated: false, autoOrient: true }).timeout({ seconds: TIMEOUT_S });
    const { format: decoded } = await image.metadata();
    if (decoded !== format) throw new PhotoRejected(`starts like a ${NAMES[contentType]} image but is not one`);
    const resized = image.resize({ width: limits.maxSidePx, height: limits.maxSidePx, fit: 'inside', withoutEnlargement: true });
    const encoded =
      format === 'jpeg' ? resized.jpeg({ quality: 85 }) : format === 'png' ? resized.png({ compressionLevel: 6 }) : resized.webp({ quality: 85 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { data, contentType, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof PhotoRejected) throw err;
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (/pixel limit/i.test(reason)) throw new PhotoRejected(`has more than ${MAX_INPUT_PIXELS / 1e6} million pixels`);
    throw new PhotoRejected(`cannot be read as a ${NAMES[contentType]} image (${reason})`);
  }
}

export function formatBytes(bytes: number): string {
  return bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MB` : bytes % 1024 === 0 ? `${bytes / 1024} kB` : `${bytes} bytes`;
}

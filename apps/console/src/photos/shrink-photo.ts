/** Photos at most this large go as they are; larger ones are re-encoded on the phone first. */
export const SHRINK_ABOVE_BYTES = 1.5 * 1024 * 1024;
/** The longest side kept: as much as the server keeps, so nothing it would keep is lost. */
export const SHRINK_MAX_SIDE_PX = 2560;
const JPEG_QUALITY = 0.85;

/** The size to draw an image at so that neither side exceeds `maxSide`, keeping its shape. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * A phone camera's photo made small enough to send over a mobile connection and under the
 * server's size limit: drawn upright at most SHRINK_MAX_SIDE_PX and re-encoded as JPEG, which also
 * leaves its metadata (GPS included) behind. Small photos, and any the browser cannot decode,
 * are kept as they are: the server reads and checks them anyway.
 */
export async function shrinkPhoto(file: File): Promise<File> {
  if (file.size <= SHRINK_ABOVE_BYTES || typeof createImageBitmap !== 'function') return file;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const size = fitWithin(bitmap.width, bitmap.height, SHRINK_MAX_SIDE_PX);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, size.width, size.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    if (blob === null || blob.size >= file.size) return file;
    return new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg', lastModified: file.lastModified });
  } catch {
    return file;
  }
}

/**
 * Where photo files live, by key. One interface so that a node can keep them on its disk (or a
 * shared volume) today and on S3-compatible storage later; rows in incident_photos say what each is.
 */
export interface PhotoStore {
  put(key: string, data: Buffer): Promise<void>;
  /** null: no such photo. */
  get(key: string): Promise<Buffer | null>;
  /** Removing a photo that is not there is not an error. */
  delete(key: string): Promise<void>;
}

export const PHOTO_STORE = Symbol('PHOTO_STORE');

/** Keys are made here only: a month's folder and a random name, never anything a client sent. */
export const PHOTO_KEY_PATTERN = /^\d{4}-\d{2}\/[0-9a-f-]{36}\.(jpg|png|webp)$/;

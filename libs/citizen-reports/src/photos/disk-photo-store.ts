import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PHOTO_KEY_PATTERN, type PhotoStore } from './photo-store';

/** Photos as files under one directory; a file appears whole or not at all (written aside, then renamed). */
export class DiskPhotoStore implements PhotoStore {
  constructor(private readonly dir: string) {}

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    const partial = `${path}.${randomUUID()}.partial`;
    try {
      await writeFile(partial, data, { mode: 0o640, flush: true });
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!PHOTO_KEY_PATTERN.test(key)) throw new Error(`not a photo key: ${JSON.stringify(key)}`);
    return join(this.dir, key);
  }
}

import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskPhotoStore } from './disk-photo-store';

describe('DiskPhotoStore', () => {
  let dir: string;
  let store: DiskPhotoStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ioc-photos-'));
    store = new DiskPhotoStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('puts, gets and deletes a photo by key, leaving no partial file', async () => {
    const key = `2026-12/${randomUUID()}.jpg`;
    await store.put(key, Buffer.from('pixels'));
    expect(await store.get(key)).toEqual(Buffer.from('pixels'));
    expect(await readdir(join(dir, '2026-12'))).toEqual([key.split('/')[1]]);
    expect((await stat(join(dir, key))).mode & 0o777).toBe(0o640);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await store.delete(key);
  });

  it('takes only keys it could have made, so no key reaches outside its directory', async () => {
    for (const key of ['../../etc/passwd', '/etc/passwd', '2026-12/../../x.jpg', `2026-12/${randomUUID()}.jpg.exe`, '']) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow('not a photo key');
      await expect(store.get(key)).rejects.toThrow('not a photo key');
    }
  });
});

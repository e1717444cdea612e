import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@ioc/config';
import { SenderKeys } from './sender-keys';

describe('SenderKeys', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'ioc-sender-keys-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hashes an address or a number under the key, never keeping them as they are', () => {
    const keys = new SenderKeys(loadConfig({ DATA_DIR: dir, REPORT_SENDER_KEY: 'k'.repeat(32) }));
    const other = new SenderKeys(loadConfig({ DATA_DIR: dir, REPORT_SENDER_KEY: 'x'.repeat(32) }));
    expect(keys.ofAddress('203.0.113.7')).toHaveLength(32);
    expect(keys.ofAddress('203.0.113.7')).toEqual(keys.ofAddress('203.0.113.7'));
    expect(keys.ofAddress('203.0.113.7')).not.toEqual(other.ofAddress('203.0.113.7'));
    expect(keys.ofAddress('0912345678')).not.toEqual(keys.ofPhone('0912345678'));
    expect(keys.ofPhone('+84912345678')).toEqual(keys.ofPhone('0912345678'));
    expect(existsSync(join(dir, 'report-sender.key'))).toBe(false);
  });

  it('makes a key in DATA_DIR at the first sender when none is set, and keeps it across restarts', async () => {
    const first = new SenderKeys(loadConfig({ DATA_DIR: dir }));
    expect(existsSync(join(dir, 'report-sender.key'))).toBe(false);
    const hash = first.ofAddress('203.0.113.7');
    expect((await readFile(join(dir, 'report-sender.key'), 'utf8')).trim()).toHaveLength(43);
    expect(new SenderKeys(loadConfig({ DATA_DIR: dir })).ofAddress('203.0.113.7')).toEqual(hash);
  });
});

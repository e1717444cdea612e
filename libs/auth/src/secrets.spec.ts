import argon2 from 'argon2';
import { checkPassword, hashPassword } from './secrets';

const nfc = 'Mật-khẩu-2026'.normalize('NFC');
const nfd = 'Mật-khẩu-2026'.normalize('NFD');

describe('passwords', () => {
  it('are hashed in NFC, so either form of the same letters matches', async () => {
    const hash = await hashPassword(nfd);
    expect(await argon2.verify(hash, nfc)).toBe(true);
    expect(await checkPassword(hash, nfc)).toEqual({ ok: true, rehash: false });
    expect(await checkPassword(hash, nfd)).toEqual({ ok: true, rehash: false });
  });

  it('match a hash made from decomposed input before normalizing, and ask for it to be stored again', async () => {
    const old = await argon2.hash(nfd, { type: argon2.argon2id });
    expect(await checkPassword(old, nfc)).toEqual({ ok: true, rehash: true });
    expect(await checkPassword(old, nfd)).toEqual({ ok: true, rehash: true });
  });

  it('refuse another password, and a hash that is not one', async () => {
    const hash = await hashPassword(nfc);
    expect(await checkPassword(hash, 'Mat-khau-2026')).toEqual({ ok: false, rehash: false });
    expect(await checkPassword('not-a-hash', nfc)).toEqual({ ok: false, rehash: false });
  });
});

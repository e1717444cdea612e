import argon2 from 'argon2';

/** Passwords are hashed in NFC: a keyboard that sends decomposed letters (NFD) types the same password. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password.normalize('NFC'), { type: argon2.argon2id });
}

export interface PasswordCheck {
  ok: boolean;
  /** The hash was made from a form other than NFC (before passwords were normalized): store it again. */
  rehash: boolean;
}

/**
 * The forms a stored hash may have been made from: NFC (every hash since passwords are normalized),
 * then NFD and the input as typed (older hashes were made from the raw input).
 */
function passwordForms(password: string): string[] {
  return [...new Set([password.normalize('NFC'), password.normalize('NFD'), password])];
}

/**
 * Checks a password against a hash. A wrong password costs one argon2 verify per form whatever the
 * hash, so checking against a decoy hash costs exactly what a wrong password for a real user does.
 */
export async function checkPassword(hash: string, password: string): Promise<PasswordCheck> {
  const forms = passwordForms(password);
  for (const [i, form] of forms.entries()) {
    if (await argon2.verify(hash, form).catch(() => false)) return { ok: true, rehash: i > 0 };
  }
  return { ok: false, rehash: false };
}

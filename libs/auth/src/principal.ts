import type { Role } from '@ioc/contracts';

/** Who is calling, as proven by a valid access token. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  teamId: number | null;
  sessionId: string;
  /** Epoch milliseconds when the access token stops being valid. */
  expiresAt: number;
}

import { useSyncExternalStore } from 'react';
import { AuthSession, type AuthState } from './auth-session';

/**
 * The console's one session. sessionStorage: a reload keeps the operator logged in, closing the
 * browser logs out.
 */
export const consoleAuth = new AuthSession((input, init) => fetch(input, init), sessionStorage);

export function useAuthState(): AuthState {
  return useSyncExternalStore(consoleAuth.subscribe, consoleAuth.getState);
}

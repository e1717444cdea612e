import { AuthError } from './auth-session';
import { loginFailure } from './login-failure';

describe('loginFailure', () => {
  it.each([
    [401, 'wrong username or password', 'wrong-credentials'],
    [429, 'account locked until 2026-11-23T07:15:00.000Z', 'locked'],
    [500, 'Internal server error', 'server'],
    [404, 'Not Found', 'server'],
  ] as const)('keys status %i to its own line and keeps the server message', (status, message, reason) => {
    expect(loginFailure(new AuthError(status, message))).toEqual({ reason, serverMessage: message });
  });

  it('says the server could not be reached when there was no answer', () => {
    expect(loginFailure(new AuthError(0, 'Failed to fetch'))).toEqual({ reason: 'unreachable', serverMessage: null });
  });

  it('shows no empty server message', () => {
    expect(loginFailure(new AuthError(401, ''))).toEqual({ reason: 'wrong-credentials', serverMessage: null });
  });

  it('treats anything else as a server failure', () => {
    expect(loginFailure(new TypeError('boom'))).toEqual({ reason: 'server', serverMessage: null });
  });
});

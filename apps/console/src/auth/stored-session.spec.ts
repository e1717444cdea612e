import type { SessionDto, UserDto } from '@ioc/contracts';
import { parseSession, parseStoredSession, serialiseSession } from './stored-session';

const user: UserDto = {
  id: 3,
  username: 'canbotruc',
  displayName: 'Nguyễn Văn Trực',
  role: 'operator',
  teamId: null,
  disabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
};
const refreshToken = 'r'.repeat(43);
const session: SessionDto = {
  accessToken: 'header.payload.signature',
  accessTokenExpiresAt: '2026-11-23T07:15:00.000Z',
  refreshToken,
  user,
};

describe('stored session', () => {
  it('keeps the refresh token and the user, never the access token', () => {
    const raw = serialiseSession(session);
    expect(raw).not.toContain(session.accessToken);
    expect(parseStoredSession(raw)).toEqual({ refreshToken, user });
  });

  it('whitelists what comes out of storage', () => {
    const raw = JSON.stringify({ refreshToken, user: { ...user, isAdmin: true }, extra: 1 });
    expect(parseStoredSession(raw)).toEqual({ refreshToken, user });
  });

  it.each([
    ['nothing stored', null],
    ['not JSON', '{refreshToken:'],
    ['JSON null', 'null'],
    ['a bare string', JSON.stringify(refreshToken)],
    ['no user', JSON.stringify({ refreshToken })],
    ['no refresh token', JSON.stringify({ user })],
    ['a refresh token too short', JSON.stringify({ refreshToken: 'short', user })],
    ['a refresh token too long', JSON.stringify({ refreshToken: 'r'.repeat(257), user })],
    ['an unknown role', JSON.stringify({ refreshToken, user: { ...user, role: 'root' } })],
    ['an id that is not a number', JSON.stringify({ refreshToken, user: { ...user, id: '3' } })],
    ['no display name', JSON.stringify({ refreshToken, user: { ...user, displayName: '' } })],
    ['a team id that is not a number', JSON.stringify({ refreshToken, user: { ...user, teamId: 'north' } })],
  ])('gives no session for %s', (_, raw) => {
    expect(parseStoredSession(raw)).toBeNull();
  });
});

describe('parseSession', () => {
  it('accepts a login answer', () => {
    expect(parseSession(session)).toEqual(session);
  });

  it.each([
    ['no access token', { ...session, accessToken: '' }],
    ['an expiry that is not ISO-8601', { ...session, accessTokenExpiresAt: 'in 15 minutes' }],
    ['no user', { ...session, user: undefined }],
    ['an error body', { statusCode: 401, message: 'wrong username or password' }],
  ])('refuses an answer with %s', (_, body) => {
    expect(parseSession(body)).toBeNull();
  });
});

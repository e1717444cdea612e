import { ErrorCode } from '@ioc/common';
import { RateLimited, waitText } from './rate-limited';

describe('rate limit refusals', () => {
  it('are 429s (locked) carrying the wait', () => {
    expect(new RateLimited('too many', 42)).toMatchObject({ code: ErrorCode.Locked, retryAfterS: 42, message: 'too many' });
  });

  it('say the wait in words', () => {
    expect(waitText(42)).toBe('42 seconds');
    expect(waitText(89)).toBe('89 seconds');
    expect(waitText(90)).toBe('2 minutes');
    expect(waitText(3600)).toBe('60 minutes');
    expect(waitText(5400)).toBe('2 hours');
    expect(waitText(86_400)).toBe('24 hours');
  });
});

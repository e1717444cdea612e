import { redact } from './audit.middleware';

describe('redact', () => {
  it('keeps what was changed but not credentials or phone numbers, at any depth', () => {
    const body = {
      name: 'Trực ban PagerDuty',
      routingKey: 'R0UT1NGKEY',
      filters: { severities: ['critical'] },
      reporter: { reporterPhone: '0912345678', password: 'x' },
      token: 'abc',
    };
    expect(redact(body)).toEqual({
      name: 'Trực ban PagerDuty',
      routingKey: '[redacted]',
      filters: { severities: ['critical'] },
      reporter: { reporterPhone: '[redacted]', password: '[redacted]' },
      token: '[redacted]',
    });
  });
});

import { citizenRoute, normalizeTrackingCode, trackingPath } from './citizen-route';

describe('citizenRoute', () => {
  it('shows the report form at /phan-anh, with or without a trailing slash', () => {
    expect(citizenRoute('/phan-anh')).toEqual({ page: 'report' });
    expect(citizenRoute('/phan-anh/')).toEqual({ page: 'report' });
  });

  it('shows a report by its code, read as the server writes it', () => {
    expect(citizenRoute('/phan-anh/7K3M9Q2XWD')).toEqual({ page: 'tracking', code: '7K3M9Q2XWD', typed: '7K3M9Q2XWD' });
    expect(citizenRoute('/phan-anh/7k3m-9q2x-wd')).toEqual({ page: 'tracking', code: '7K3M9Q2XWD', typed: '7k3m-9q2x-wd' });
    expect(citizenRoute('/phan-anh/7K3M%209Q2XWD')).toMatchObject({ code: '7K3M9Q2XWD' });
  });

  it('keeps a path that cannot be a code, to say so', () => {
    expect(citizenRoute('/phan-anh/abc')).toEqual({ page: 'tracking', code: null, typed: 'abc' });
    expect(citizenRoute('/phan-anh/%E0%A4%A')).toMatchObject({ page: 'tracking', code: null });
  });

  it('leaves every other path to the staff console', () => {
    expect(citizenRoute('/')).toBeNull();
    expect(citizenRoute('/field')).toBeNull();
    expect(citizenRoute('/phan-anhx')).toBeNull();
  });
});

describe('normalizeTrackingCode', () => {
  it('reads look-alikes as Crockford base 32 does', () => {
    expect(normalizeTrackingCode(' o1il 23456 7 ')).toBe('0111234567');
  });

  it('refuses codes of the wrong length or with letters never used', () => {
    expect(normalizeTrackingCode('7K3M9Q2XW')).toBeNull();
    expect(normalizeTrackingCode('7K3M9Q2XWU')).toBeNull();
    expect(normalizeTrackingCode('')).toBeNull();
  });
});

describe('trackingPath', () => {
  it('is the page a code lives at', () => {
    expect(trackingPath('7K3M9Q2XWD')).toBe('/phan-anh/7K3M9Q2XWD');
  });
});

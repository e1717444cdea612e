import { inhibitorOf, silenceFor, type SilenceWindow } from './suppression';

const window = (over: Partial<SilenceWindow>): SilenceWindow => ({ id: 1, ruleId: null, deviceId: null, areaId: null, startsAt: 100, endsAt: 200, ...over });
const device = { id: 'mt-wl-01', areaIds: ['tien-giang', 'my-tho', 'phuong-1'] };

describe('silenceFor', () => {
  it('holds an alert only inside the window, its end excluded', () => {
    const s = [window({ deviceId: 'mt-wl-01' })];
    expect(silenceFor(s, 7, device, 99)).toBeNull();
    expect(silenceFor(s, 7, device, 100)).toBe(s[0]);
    expect(silenceFor(s, 7, device, 199)).toBe(s[0]);
    expect(silenceFor(s, 7, device, 200)).toBeNull();
  });

  it('needs every field given to match: rule, device, an area at any level', () => {
    expect(silenceFor([window({ areaId: 'my-tho' })], 7, device, 150)).not.toBeNull();
    expect(silenceFor([window({ areaId: 'go-cong-dong' })], 7, device, 150)).toBeNull();
    expect(silenceFor([window({ ruleId: 7, areaId: 'my-tho' })], 7, device, 150)).not.toBeNull();
    expect(silenceFor([window({ ruleId: 8, areaId: 'my-tho' })], 7, device, 150)).toBeNull();
    expect(silenceFor([window({ ruleId: 7, deviceId: 'mt-wl-02' })], 7, device, 150)).toBeNull();
  });

  it('answers the matching silence that ends last, so the alert is held as long as any holds it', () => {
    const s = [window({ id: 1, deviceId: 'mt-wl-01', endsAt: 300 }), window({ id: 2, areaId: 'my-tho', endsAt: 500 }), window({ id: 3, ruleId: 9, endsAt: 900 })];
    expect(silenceFor(s, 7, device, 150)?.id).toBe(2);
  });
});

describe('inhibitorOf', () => {
  const online = { id: 'gw-1', status: 'online' as const };
  const offline = { id: 'gw-1', status: 'offline' as const };

  it('an offline gateway holds back its children going offline or silent, nothing else', () => {
    expect(inhibitorOf('offline', { id: 'c', status: 'offline' }, offline)).toBe('gw-1');
    expect(inhibitorOf('no_data', { id: 'c', status: 'online' }, offline)).toBe('gw-1');
    expect(inhibitorOf('threshold', { id: 'c', status: 'online' }, offline)).toBeNull();
    expect(inhibitorOf('offline', { id: 'c', status: 'offline' }, online)).toBeNull();
  });

  it('a device offline holds back its own no-data alerts, not its offline alert', () => {
    expect(inhibitorOf('no_data', { id: 'c', status: 'offline' }, null)).toBe('c');
    expect(inhibitorOf('offline', { id: 'c', status: 'offline' }, null)).toBeNull();
    expect(inhibitorOf('no_data', { id: 'c', status: 'unknown' }, online)).toBeNull();
  });
});

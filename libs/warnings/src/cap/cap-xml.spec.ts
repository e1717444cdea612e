import { capAlertXml, capReferences, capTime, type CapAlert, type CapInfo } from './cap-xml';

const info = (over: Partial<CapInfo> = {}): CapInfo => ({
  language: 'vi-VN',
  category: 'Env',
  event: 'Xâm nhập mặn',
  urgency: 'Expected',
  severity: 'Severe',
  certainty: 'Likely',
  expires: new Date('2026-12-04T05:00:00Z'),
  senderName: 'Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh Tiền Giang',
  headline: 'Độ mặn vượt 4 ‰ tại Phường 10',
  description: 'Độ mặn đo được 5,2 ‰, vượt ngưỡng 4 ‰.',
  instruction: 'Không lấy nước sông để tưới.',
  area: { areaDesc: 'Phường 10', polygons: ['10.392,106.318 10.387,106.322 10.38,106.31 10.392,106.318'] },
  ...over,
});

const alert = (over: Partial<CapAlert> = {}): CapAlert => ({
  identifier: '6f1c1d0e-3b5a-4c5e-9f4e-2f7a3f1b9c01',
  sender: 'ioc@tiengiang.gov.vn',
  sent: new Date('2026-12-03T10:00:00.789Z'),
  msgType: 'Alert',
  references: [],
  info: [info(), info({ language: 'en-US', event: 'Salinity intrusion', headline: 'Salinity above 4 ‰ in Ward 10' })],
  ...over,
});

/** The text of every `name` element, in order. */
const texts = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('capTime', () => {
  it('writes Asia/Ho_Chi_Minh time with +07:00, whole seconds, no Z', () => {
    expect(capTime(new Date('2026-12-03T10:00:00.789Z'))).toBe('2026-12-03T17:00:00+07:00');
  });

  it('moves to the next day past 17:00 UTC', () => {
    expect(capTime(new Date('2026-12-31T17:30:05Z'))).toBe('2027-01-01T00:30:05+07:00');
  });

  it('matches the pattern of the CAP 1.2 schema', () => {
    expect(capTime(new Date(0))).toMatch(/^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d$/);
  });
});

describe('capAlertXml', () => {
  it('writes an actual public alert in the CAP 1.2 namespace, its header in the order of the schema', () => {
    const xml = capAlertXml(alert());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">')).toBe(true);
    const order = ['identifier', 'sender', 'sent', 'status', 'msgType', 'scope', 'info'].map((name) => xml.indexOf(`<${name}>`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(texts(xml, 'sent')).toEqual(['2026-12-03T17:00:00+07:00']);
    expect(texts(xml, 'status')).toEqual(['Actual']);
    expect(texts(xml, 'scope')).toEqual(['Public']);
    expect(xml).not.toContain('<references>');
    expect(xml).not.toContain('<note>');
  });

  it('has an info block in Vietnamese and one in English, each with its area and polygon', () => {
    const xml = capAlertXml(alert());
    expect(texts(xml, 'language')).toEqual(['vi-VN', 'en-US']);
    expect(texts(xml, 'event')).toEqual(['Xâm nhập mặn', 'Salinity intrusion']);
    expect(texts(xml, 'areaDesc')).toEqual(['Phường 10', 'Phường 10']);
    expect(texts(xml, 'polygon')).toHaveLength(2);
    expect(texts(xml, 'expires')).toEqual(['2026-12-04T12:00:00+07:00', '2026-12-04T12:00:00+07:00']);
  });

  it('keeps Vietnamese text as it is, in UTF-8', () => {
    const xml = capAlertXml(alert());
    expect(texts(xml, 'headline')[0]).toBe('Độ mặn vượt 4 ‰ tại Phường 10');
    expect(texts(xml, 'instruction')[0]).toBe('Không lấy nước sông để tưới.');
  });

  it('escapes markup in text, and drops what XML cannot carry', () => {
    const xml = capAlertXml(
      alert({ info: [info({ headline: 'Mặn <5‰> & "nguy hiểm" \'ngay\'', description: 'a\u0001b\uD800c', area: { areaDesc: 'A & B', polygons: [] } })] }),
    );
    expect(xml).toContain('<headline>Mặn &lt;5‰&gt; &amp; &quot;nguy hiểm&quot; &apos;ngay&apos;</headline>');
    expect(xml).toContain('<description>a\uFFFDb\uFFFDc</description>');
    expect(xml).toContain('<areaDesc>A &amp; B</areaDesc>');
  });

  it('names every earlier message in an update as sender,identifier,sent separated by spaces', () => {
    const references = [
      { sender: 'ioc@tiengiang.gov.vn', identifier: 'first', sent: new Date('2026-12-03T10:00:00Z') },
      { sender: 'ioc@tiengiang.gov.vn', identifier: 'second', sent: new Date('2026-12-03T11:00:00Z') },
    ];
    const xml = capAlertXml(alert({ msgType: 'Cancel', references, note: 'Độ mặn đã giảm' }));
    expect(texts(xml, 'msgType')).toEqual(['Cancel']);
    expect(texts(xml, 'references')).toEqual([
      'ioc@tiengiang.gov.vn,first,2026-12-03T17:00:00+07:00 ioc@tiengiang.gov.vn,second,2026-12-03T18:00:00+07:00',
    ]);
    expect(texts(xml, 'note')).toEqual(['Độ mặn đã giảm']);
    expect(xml.indexOf('<note>')).toBeLessThan(xml.indexOf('<references>'));
    expect(capReferences(references)).toBe(texts(xml, 'references')[0]);
  });

  it('refuses an identifier or sender CAP forbids', () => {
    expect(() => capAlertXml(alert({ identifier: 'a b' }))).toThrow(/identifier/);
    expect(() => capAlertXml(alert({ sender: 'ioc,tg' }))).toThrow(/sender/);
    expect(() => capAlertXml(alert({ references: [{ sender: 'x', identifier: 'a&b', sent: new Date() }] }))).toThrow(/reference/);
  });
});

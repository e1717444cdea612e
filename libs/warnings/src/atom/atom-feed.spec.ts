import { validateXML } from 'xmllint-wasm';
import { atomFeedXml, type AtomEntry, type AtomFeed } from './atom-feed';

const entry = (over: Partial<AtomEntry> = {}): AtomEntry => ({
  id: 'urn:uuid:1b0f3a52-7e1c-4b43-8a8e-0d3c9a5e2f11',
  title: 'Độ mặn vượt 4 ‰ tại Phường 10',
  summary: 'Độ mặn đo được 5,2 ‰.',
  published: new Date('2026-12-03T10:00:00Z'),
  updated: new Date('2026-12-03T11:00:00.250Z'),
  category: { term: 'salinity', label: 'Xâm nhập mặn' },
  links: [{ rel: 'alternate', type: 'application/cap+xml', href: '/api/public/warnings/1/cap' }],
  cap: [
    ['severity', 'Severe'],
    ['areaDesc', 'Phường 10'],
  ],
  ...over,
});

const feed = (entries: AtomEntry[]): AtomFeed => ({
  id: 'urn:uuid:0e4c1d2a-1111-5222-8333-444455556666',
  title: 'Bản tin cảnh báo công khai',
  lang: 'vi',
  updated: new Date('2026-12-03T11:00:00Z'),
  author: { name: 'IOC Tiền Giang', email: 'ioc@tiengiang.gov.vn' },
  links: [{ rel: 'self', type: 'application/atom+xml', href: '/api/public/warnings.atom' }],
  entries,
});

/** Whether an XML parser reads it (well-formed). */
async function wellFormed(xml: string): Promise<boolean> {
  const result = await validateXML({ xml: { fileName: 'feed.xml', contents: xml }, normalization: 'format' });
  return result.valid;
}

describe('atomFeedXml', () => {
  it('writes an Atom 1.0 feed with its required elements, times in +07:00', async () => {
    const xml = atomFeedXml(feed([entry()]));
    expect(xml).toContain('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2" xml:lang="vi">');
    expect(xml).toContain('<id>urn:uuid:0e4c1d2a-1111-5222-8333-444455556666</id>');
    expect(xml).toContain('<updated>2026-12-03T18:00:00+07:00</updated>');
    expect(xml).toContain('<author>\n    <name>IOC Tiền Giang</name>\n    <email>ioc@tiengiang.gov.vn</email>\n  </author>');
    expect(xml).toContain('<link rel="self" type="application/atom+xml" href="/api/public/warnings.atom"/>');
    expect(await wellFormed(xml)).toBe(true);
  });

  it('writes each entry with its id, times, category, link to the CAP message and CAP fields', async () => {
    const xml = atomFeedXml(feed([entry()]));
    expect(xml).toContain('<entry>\n    <id>urn:uuid:1b0f3a52-7e1c-4b43-8a8e-0d3c9a5e2f11</id>');
    expect(xml).toContain('<published>2026-12-03T17:00:00+07:00</published>');
    expect(xml).toContain('<updated>2026-12-03T18:00:00+07:00</updated>');
    expect(xml).toContain('<category term="salinity" label="Xâm nhập mặn"/>');
    expect(xml).toContain('<link rel="alternate" type="application/cap+xml" href="/api/public/warnings/1/cap"/>');
    expect(xml).toContain('<cap:severity>Severe</cap:severity>');
    expect(xml).toContain('<cap:areaDesc>Phường 10</cap:areaDesc>');
    expect(await wellFormed(xml)).toBe(true);
  });

  it('escapes <&>" in text and attributes', async () => {
    const xml = atomFeedXml(
      feed([entry({ title: 'Mặn <5‰> & "cao"', summary: "a < b & c > 'd'", category: { term: 'salinity', label: 'A "&" B' } })]),
    );
    expect(xml).toContain('<title>Mặn &lt;5‰&gt; &amp; &quot;cao&quot;</title>');
    expect(xml).toContain('<summary>a &lt; b &amp; c &gt; &apos;d&apos;</summary>');
    expect(xml).toContain('label="A &quot;&amp;&quot; B"');
    expect(await wellFormed(xml)).toBe(true);
  });

  it('writes an empty feed when no warning is active, and no email for a sender that is not one', async () => {
    const xml = atomFeedXml({ ...feed([]), author: { name: 'IOC' } });
    expect(xml).not.toContain('<entry>');
    expect(xml).not.toContain('<email>');
    expect(await wellFormed(xml)).toBe(true);
  });

  it('is told apart from a document that is not well-formed', async () => {
    expect(await wellFormed('<feed><title>a & b</title></feed>')).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import type { GeoJsonGeometry, WarningContentDto } from '@ioc/contracts';
import { capAlertOf, type Issuer, type OutgoingMessage } from '../warning-messages';
import { capPolygons } from './cap-polygon';
import { capAlertXml } from './cap-xml';

/** The OASIS CAP 1.2 schema as published (test/fixtures/cap). */
const schema = { fileName: 'CAP-v1.2.xsd', contents: readFileSync(join(__dirname, '../../../../test/fixtures/cap/CAP-v1.2.xsd'), 'utf8') };

async function schemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'message.xml', contents: xml }, schema });
  return result.valid ? [] : result.errors.map((e) => e.message);
}

const issuer: Issuer = { sender: 'ioc@tiengiang.gov.vn', senderName: 'Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh Tiền Giang' };
const ward: GeoJsonGeometry = {
  type: 'MultiPolygon',
  coordinates: [
    [[[106.318, 10.392], [106.322, 10.387], [106.31, 10.38], [106.318, 10.392]]],
    [[[106.33, 10.4], [106.34, 10.4], [106.34, 10.41], [106.33, 10.4]]],
  ],
};
const content: WarningContentDto = {
  type: 'salinity',
  severity: 'Severe',
  urgency: 'Expected',
  certainty: 'Likely',
  vi: { headline: 'Mặn <5‰> & "cao"', description: 'Độ mặn 5,2 ‰ tại trạm Mỹ Tho.', instruction: 'Không lấy nước sông để tưới.' },
  en: { headline: 'Salinity <5‰> & "high"', description: 'Salinity 5.2 ‰ at the Mỹ Tho station.', instruction: 'Do not irrigate with river water.' },
  area: { id: 'my-tho-phuong-10', name: 'Phường 10' },
  expires: '2026-12-04T05:00:00.000Z',
};
const alert: OutgoingMessage = { identifier: '1b0f3a52-7e1c-4b43-8a8e-0d3c9a5e2f11', sent: new Date('2026-12-03T10:00:00Z'), msgType: 'Alert', note: null, references: [], content };
const update: OutgoingMessage = {
  identifier: '2c1e4b63-8f2d-4c54-9b9f-1e4dab6f3a22',
  sent: new Date('2026-12-03T11:00:00Z'),
  msgType: 'Update',
  note: 'Độ mặn tăng / salinity rising',
  references: [{ sender: issuer.sender, identifier: alert.identifier, sent: alert.sent }],
  content: { ...content, severity: 'Extreme', urgency: 'Immediate' },
};
const cancel: OutgoingMessage = {
  identifier: '3d2f5c74-9a3e-4d65-8caa-2f5ebc7a4b33',
  sent: new Date('2026-12-03T12:00:00Z'),
  msgType: 'Cancel',
  note: 'Độ mặn đã về dưới ngưỡng',
  references: [...update.references, { sender: issuer.sender, identifier: update.identifier, sent: update.sent }],
  content: update.content,
};
const xmlOf = (m: OutgoingMessage) => capAlertXml(capAlertOf(m, issuer, capPolygons(ward)));

describe('CAP messages against the OASIS CAP 1.2 schema', () => {
  it.each([
    ['an Alert', alert],
    ['an Update', update],
    ['a Cancel', cancel],
  ])('%s is valid', async (_, message) => {
    expect(await schemaErrors(xmlOf(message))).toEqual([]);
  });

  it('a Cancel says the warning is over in its info blocks too', () => {
    const xml = xmlOf(cancel);
    expect(xml.match(/<responseType>AllClear<\/responseType>/g)).toHaveLength(2);
    expect(xml.match(/<urgency>Past<\/urgency>/g)).toHaveLength(2);
  });

  it('a message the schema refuses fails (the validator is not a no-op)', async () => {
    const valid = xmlOf(alert);
    const cases = [
      valid.replace('<status>Actual</status>', '<status>Real</status>'),
      valid.replace('+07:00</sent>', 'Z</sent>'),
      valid.replace(/<sent>([^<]*)\+07:00<\/sent>/, '<sent>$1.5+07:00</sent>'),
      valid.replace('<scope>Public</scope>\n', ''),
      valid.replace('<severity>Severe</severity>', '<severity>severe</severity>'),
    ];
    for (const xml of cases) expect((await schemaErrors(xml)).length).toBeGreaterThan(0);
  });
});

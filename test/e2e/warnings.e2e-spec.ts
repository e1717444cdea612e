import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import {
  PUBLIC_WARNING_PATHS,
  ROLES,
  type ApiErrorBody,
  type AuditEntryDto,
  type IncidentDto,
  type PublicWarningDto,
  type PublishWarningInput,
  type Role,
  type WarningDto,
} from '@ioc/contracts';
import { DEMO_USERS } from '@ioc/auth';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, nextEvent, type ConsoleSocket } from '../support/clients';
import { IN_WARD, SALINITY_RULE, Station, WARD } from '../support/alerting';

jest.setTimeout(60_000);

const SENDER = 'ioc@tiengiang.gov.vn';
/** Out at sea, east of the pilot: in no area. */
const AT_SEA = { lat: 10.0, lng: 107.5 };
const CAP_XSD = { fileName: 'CAP-v1.2.xsd', contents: readFileSync(join(__dirname, '../fixtures/cap/CAP-v1.2.xsd'), 'utf8') };

async function capSchemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'message.xml', contents: xml }, schema: CAP_XSD });
  return result.valid ? [] : result.errors.map((e) => e.message);
}

/** The text of every `name` element, in order (the documents are ours, written without attributes on these). */
const texts = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

const PUBLISH: PublishWarningInput = {
  type: 'salinity',
  severity: 'Severe',
  urgency: 'Expected',
  certainty: 'Likely',
  vi: {
    headline: 'Độ mặn vượt 4 ‰ tại Phường 10 & ven sông',
    description: 'Trạm đo mặn ghi nhận độ mặn 5,2 ‰, vượt ngưỡng <4 ‰>.',
    instruction: 'Không lấy nước sông để tưới cây, "trữ nước ngọt" cho sinh hoạt.',
  },
  en: {
    headline: 'Salinity above 4 ‰ in Ward 10 & along the river',
    description: 'The salinity station measured 5.2 ‰, above the <4 ‰> threshold.',
    instruction: 'Do not irrigate with river water; "store fresh water" for households.',
  },
  expires: inHours(6),
};

describe('public warnings: an incident published as CAP 1.2, Atom and JSON', () => {
  let server: TestServer;
  const tokens = {} as Record<Role, string>;
  let operations: ConsoleSocket;
  const stations: Station[] = [];

  const call = <T = WarningDto>(role: Role | '', method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, role === '' ? undefined : tokens[role]);
  /** Without a token, as a member of the public; the raw answer, for its type and text. */
  const anonymous = (path: string) => fetch(`${server.baseUrl}${path}`);

  /** A salinity station at `place` whose reading over 4 ‰ opens an incident. */
  async function openIncident(id: string, place: { lat: number; lng: number }): Promise<IncidentDto> {
    const station = await Station.provision(server, tokens.admin, id, { place });
    stations.push(station);
    const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === id);
    await station.reading(5.2);
    return (await opened)[0].incident;
  }

  async function publicCap(id: number): Promise<string> {
    const res = await anonymous(PUBLIC_WARNING_PATHS.cap(id));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/cap\+xml/);
    const xml = await res.text();
    expect(await capSchemaErrors(xml)).toEqual([]);
    return xml;
  }

  async function publicList(): Promise<PublicWarningDto[]> {
    const res = await anonymous(PUBLIC_WARNING_PATHS.list);
    expect(res.status).toBe(200);
    return (await res.json()) as PublicWarningDto[];
  }

  async function atom(): Promise<string> {
    const res = await anonymous(PUBLIC_WARNING_PATHS.atom);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    return res.text();
  }

  /** Nothing that names a person who works here, nor the incident. */
  function expectNothingPersonal(text: string): void {
    for (const user of DEMO_USERS) {
      expect(text).not.toContain(`"${user.username}"`);
      expect(text).not.toContain(`>${user.username}<`);
      expect(text).not.toContain(user.displayName);
    }
    expect(text).not.toContain('incidentId');
    expect(text).not.toContain('publishedBy');
  }

  beforeAll(async () => {
    server = await startTestServer();
    for (const role of ROLES) tokens[role] = (await server.session(role)).accessToken;
    expect((await call('admin', 'POST', '/api/rules', SALINITY_RULE)).status).toBe(201);
    operations = await connectConsole(server.baseUrl, tokens.operator);
  });

  afterAll(async () => {
    operations?.close();
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
  });

  it('publishes, updates and cancels a warning; each CAP message is valid and references the ones before it', async () => {
    const incident = await openIncident('mt-sal-warn-1', IN_WARD);
    expect(incident.areaIds).toEqual(expect.arrayContaining(['tien-giang', 'my-tho', WARD]));

    // Publish: the most specific area of the device, an Alert.
    const published = await call('operator', 'POST', `/api/incidents/${incident.id}/warnings`, PUBLISH);
    expect(published.status).toBe(201);
    const warning = published.body;
    expect(warning).toMatchObject({
      incidentId: incident.id,
      type: 'salinity',
      state: 'active',
      severity: 'Severe',
      area: { id: WARD, name: 'Phường 10' },
      event: { vi: 'Xâm nhập mặn', en: 'Salinity intrusion' },
      publishedBy: 'canbotruc',
      cancelledAt: null,
      capUrl: PUBLIC_WARNING_PATHS.cap(warning.id),
    });
    expect(warning.vi).toEqual(PUBLISH.vi);
    expect(warning.messages).toHaveLength(1);
    const [first] = warning.messages;
    expect(first).toMatchObject({ msgType: 'Alert', sender: SENDER, references: null, by: 'canbotruc', identifier: warning.identifier });
    expect(first.sent).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/);

    // Public, without a login: the JSON list, the Atom feed and the CAP message.
    const listed = (await publicList()).find((w) => w.id === warning.id);
    expect(listed).toMatchObject({ state: 'active', identifier: first.identifier, area: { id: WARD }, en: PUBLISH.en });
    expectNothingPersonal(JSON.stringify(await publicList()));

    const feed = await atom();
    expect(feed).toContain(`<id>urn:uuid:${first.identifier}</id>`);
    expect(feed).toContain(`href="${PUBLIC_WARNING_PATHS.cap(warning.id)}"`);
    expect(feed).toContain('<title>Độ mặn vượt 4 ‰ tại Phường 10 &amp; ven sông</title>');
    expectNothingPersonal(feed);

    const alertXml = await publicCap(warning.id);
    expect(texts(alertXml, 'identifier')).toEqual([first.identifier]);
    expect(texts(alertXml, 'sender')).toEqual([SENDER]);
    expect(texts(alertXml, 'sent')).toEqual([first.sent]);
    expect(texts(alertXml, 'msgType')).toEqual(['Alert']);
    expect(texts(alertXml, 'scope')).toEqual(['Public']);
    expect(texts(alertXml, 'language')).toEqual(['vi-VN', 'en-US']);
    expect(texts(alertXml, 'headline')).toEqual(['Độ mặn vượt 4 ‰ tại Phường 10 &amp; ven sông', 'Salinity above 4 ‰ in Ward 10 &amp; along the river']);
    expect(texts(alertXml, 'areaDesc')).toEqual(['Phường 10', 'Phường 10']);
    const [polygon] = texts(alertXml, 'polygon');
    const points = polygon.split(' ');
    expect(points[0]).toBe(points[points.length - 1]);
    expect(points[0]).toBe('10.392,106.318');
    expect(alertXml).not.toContain('<references>');
    expectNothingPersonal(alertXml);

    // Update: references the Alert.
    const updated = await call('supervisor', 'POST', `/api/warnings/${warning.id}/update`, {
      severity: 'Extreme',
      urgency: 'Immediate',
      vi: { headline: 'Độ mặn tăng lên 6 ‰ tại Phường 10' },
      note: 'Độ mặn tiếp tục tăng',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ state: 'active', severity: 'Extreme', urgency: 'Immediate', vi: { ...PUBLISH.vi, headline: 'Độ mặn tăng lên 6 ‰ tại Phường 10' } });
    const second = updated.body.messages[1];
    expect(second).toMatchObject({ msgType: 'Update', by: 'truongca', note: 'Độ mặn tiếp tục tăng', references: `${SENDER},${first.identifier},${first.sent}` });
    expect(Date.parse(second.sent)).toBeGreaterThan(Date.parse(first.sent));

    const updateXml = await publicCap(warning.id);
    expect(texts(updateXml, 'msgType')).toEqual(['Update']);
    expect(texts(updateXml, 'identifier')).toEqual([second.identifier]);
    expect(texts(updateXml, 'references')).toEqual([`${SENDER},${first.identifier},${first.sent}`]);
    expect(texts(updateXml, 'severity')).toEqual(['Extreme', 'Extreme']);
    expect(texts(updateXml, 'note')).toEqual(['Độ mặn tiếp tục tăng']);
    expect(await atom()).toContain('<title>Độ mặn tăng lên 6 ‰ tại Phường 10</title>');

    // The Alert stays retrievable by its identifier, as sent.
    const original = await anonymous(PUBLIC_WARNING_PATHS.message(first.identifier));
    expect(original.status).toBe(200);
    expect(await original.text()).toBe(alertXml);

    // Cancel: references both, and the warning leaves the feed and the list.
    const cancelled = await call('admin', 'POST', `/api/warnings/${warning.id}/cancel`, { reason: 'Độ mặn đã về dưới ngưỡng 4 ‰' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancelReason: 'Độ mặn đã về dưới ngưỡng 4 ‰', cancelledBy: 'admin' });
    const third = cancelled.body.messages[2];
    const both = `${SENDER},${first.identifier},${first.sent} ${SENDER},${second.identifier},${second.sent}`;
    expect(third).toMatchObject({ msgType: 'Cancel', references: both, note: 'Độ mặn đã về dưới ngưỡng 4 ‰' });

    const cancelXml = await publicCap(warning.id);
    expect(texts(cancelXml, 'msgType')).toEqual(['Cancel']);
    expect(texts(cancelXml, 'references')).toEqual([both]);
    expect(texts(cancelXml, 'responseType')).toEqual(['AllClear', 'AllClear']);
    expect((await publicList()).map((w) => w.id)).not.toContain(warning.id);
    expect(await atom()).not.toContain(first.identifier);

    // The operations room still sees it, with every message.
    const all = await call<WarningDto[]>('operator', 'GET', '/api/warnings?state=cancelled');
    expect(all.body.find((w) => w.id === warning.id)?.messages.map((m) => m.msgType)).toEqual(['Alert', 'Update', 'Cancel']);
    expect((await call<WarningDto[]>('operator', 'GET', '/api/warnings?state=active')).body.map((w) => w.id)).not.toContain(warning.id);

    // A cancelled warning cannot change again.
    const again = await call<ApiErrorBody>('operator', 'POST', `/api/warnings/${warning.id}/update`, { severity: 'Minor' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('cancelled');
    expect((await call('operator', 'POST', `/api/warnings/${warning.id}/cancel`, { reason: 'lần nữa' })).status).toBe(409);
  });

  it('takes the area named, and leaves the feed once it expires', async () => {
    const incident = await openIncident('mt-sal-warn-2', IN_WARD);
    const body = { ...PUBLISH, type: 'flood', areaId: 'my-tho', expires: new Date(Date.now() + 3000).toISOString() };
    const published = await call('operator', 'POST', `/api/incidents/${incident.id}/warnings`, body);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ area: { id: 'my-tho', name: 'Thành phố Mỹ Tho' }, event: { vi: 'Ngập úng', en: 'Flooding' } });
    expect((await publicList()).map((w) => w.id)).toContain(published.body.id);
    expect(texts(await publicCap(published.body.id), 'category')).toEqual(['Met', 'Met']);

    await new Promise((r) => setTimeout(r, 3500));
    expect((await publicList()).map((w) => w.id)).not.toContain(published.body.id);
    expect(await atom()).not.toContain(published.body.identifier);
    expect((await call('operator', 'GET', `/api/warnings/${published.body.id}`)).body.state).toBe('expired');
    // Updated without a new expiry it stays expired: refused; with one, it is active again.
    expect((await call('operator', 'POST', `/api/warnings/${published.body.id}/update`, { severity: 'Minor' })).status).toBe(400);
    const revived = await call('operator', 'POST', `/api/warnings/${published.body.id}/update`, { expires: inHours(1) });
    expect(revived.body.state).toBe('active');
    expect((await publicList()).map((w) => w.id)).toContain(published.body.id);
  });

  it('lets only admin, supervisor and operator publish and manage warnings; public routes need no token', async () => {
    const incident = await openIncident('mt-sal-warn-3', IN_WARD);
    const published = await call('operator', 'POST', `/api/incidents/${incident.id}/warnings`, PUBLISH);
    const id = published.body.id;
    for (const role of ['field', 'viewer'] as const) {
      expect((await call(role, 'POST', `/api/incidents/${incident.id}/warnings`, PUBLISH)).status).toBe(403);
      expect((await call(role, 'GET', '/api/warnings')).status).toBe(403);
      expect((await call(role, 'GET', `/api/warnings/${id}`)).status).toBe(403);
      expect((await call(role, 'POST', `/api/warnings/${id}/update`, { severity: 'Minor' })).status).toBe(403);
      expect((await call(role, 'POST', `/api/warnings/${id}/cancel`, { reason: 'không' })).status).toBe(403);
    }
    expect((await call('', 'POST', `/api/incidents/${incident.id}/warnings`, PUBLISH)).status).toBe(401);
    expect((await call('', 'GET', '/api/warnings')).status).toBe(401);
    expect((await call('', 'POST', `/api/warnings/${id}/cancel`, { reason: 'không' })).status).toBe(401);
    for (const path of [PUBLIC_WARNING_PATHS.list, PUBLIC_WARNING_PATHS.atom, PUBLIC_WARNING_PATHS.cap(id), PUBLIC_WARNING_PATHS.message(published.body.identifier)]) {
      expect((await anonymous(path)).status).toBe(200);
    }
    // Every change is in the audit log, allowed or refused, with who.
    const audit = await call<AuditEntryDto[]>('admin', 'GET', '/api/audit?targetType=incidents&limit=500');
    const publishes = audit.body.filter((e) => e.action === 'POST /api/incidents/:id/warnings' && e.targetId === String(incident.id));
    expect(publishes.map((e) => [e.actor?.username, e.status])).toEqual(
      expect.arrayContaining([
        ['canbotruc', 201],
        ['hientruong', 403],
        ['nguoixem', 403],
      ]),
    );
    const changes = await call<AuditEntryDto[]>('admin', 'GET', '/api/audit?targetType=warnings&limit=500');
    expect(changes.body.filter((e) => e.targetId === String(id)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['POST /api/warnings/:id/update', 'POST /api/warnings/:id/cancel']),
    );
  });

  it('answers 404 for what does not exist and 400 naming what is wrong', async () => {
    const incident = await openIncident('mt-sal-warn-4', IN_WARD);
    const publish = (incidentId: number, body: unknown) => call<ApiErrorBody>('operator', 'POST', `/api/incidents/${incidentId}/warnings`, body);

    const unknown = await publish(999_999, PUBLISH);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('incident 999999 does not exist');

    const bad: [unknown, string][] = [
      [{ ...PUBLISH, expires: '2020-01-01T00:00:00+07:00' }, 'expires: must be in the future'],
      [{ ...PUBLISH, expires: inHours(24 * 30) }, 'expires: at most 14 days from now'],
      [{ ...PUBLISH, expires: '2026-13-01' }, 'expires: must be an ISO-8601 time'],
      [{ ...PUBLISH, type: 'earthquake' }, 'type'],
      [{ ...PUBLISH, severity: 'severe' }, 'severity'],
      [{ ...PUBLISH, en: undefined }, 'en'],
      [{ ...PUBLISH, vi: { ...PUBLISH.vi, headline: ' ' } }, 'vi.headline: must not be empty'],
      [{ ...PUBLISH, vi: { ...PUBLISH.vi, headline: 'x'.repeat(161) } }, 'vi.headline'],
      [{ ...PUBLISH, areaId: 'Ha Noi' }, 'areaId: an area id'],
      [{ ...PUBLISH, areaId: 'ha-noi' }, 'areaId: no area ha-noi'],
      [{ ...PUBLISH, sender: 'me' }, 'Unrecognized key'],
    ];
    for (const [body, message] of bad) {
      const res = await publish(incident.id, body);
      expect([res.status, res.body.message]).toEqual([400, expect.stringContaining(message)]);
    }

    // An incident in no area is published only with an area named.
    const atSea = await openIncident('sea-sal-warn-5', AT_SEA);
    expect(atSea.areaIds).toEqual([]);
    const noArea = await publish(atSea.id, PUBLISH);
    expect([noArea.status, noArea.body.message]).toEqual([400, `areaId: incident ${atSea.id} is in no known area; name the area to warn`]);
    expect((await publish(atSea.id, { ...PUBLISH, areaId: 'go-cong-dong' })).status).toBe(201);

    const warning = (await call('operator', 'POST', `/api/incidents/${incident.id}/warnings`, PUBLISH)).body;
    const update = (body: unknown) => call<ApiErrorBody>('operator', 'POST', `/api/warnings/${warning.id}/update`, body);
    expect((await update({})).body.message).toContain('change something');
    expect((await update({ note: 'chỉ ghi chú' })).status).toBe(400);
    expect((await update({ expires: '2020-01-01T00:00:00Z' })).body.message).toContain('expires: must be in the future');
    expect((await update({ vi: { title: 'x' } })).status).toBe(400);
    expect((await call<ApiErrorBody>('operator', 'POST', `/api/warnings/${warning.id}/cancel`, {})).status).toBe(400);
    expect((await call<ApiErrorBody>('operator', 'POST', `/api/warnings/${warning.id}/cancel`, { reason: '  ' })).body.message).toContain('reason');

    expect((await call<ApiErrorBody>('operator', 'POST', '/api/warnings/999999/update', { severity: 'Minor' })).status).toBe(404);
    expect((await call<ApiErrorBody>('operator', 'POST', '/api/warnings/999999/cancel', { reason: 'x' })).status).toBe(404);
    expect((await call<ApiErrorBody>('operator', 'GET', '/api/warnings/abc')).status).toBe(400);
    expect((await anonymous(PUBLIC_WARNING_PATHS.cap(999_999))).status).toBe(404);
    expect((await anonymous('/api/public/warnings/abc/cap')).status).toBe(400);
    expect((await anonymous(PUBLIC_WARNING_PATHS.message('not-an-identifier'))).status).toBe(400);
    expect((await anonymous(PUBLIC_WARNING_PATHS.message('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
  });
});

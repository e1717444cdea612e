import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  ROLES,
  type ApiErrorBody,
  type AuditEntryDto,
  type IncidentDetailDto,
  type IncidentDto,
  type IncidentPageDto,
  type IncidentPhotoDto,
  type ReportReceiptDto,
  type ReportTrackingDto,
  type Role,
  type SessionDto,
  type TeamDto,
} from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api } from '../support/clients';
import { IN_MY_THO, IN_VI_THANH, MY_THO_TEAM } from '../support/alerting';

jest.setTimeout(90_000);

const PHOTO_MAX_BYTES = 256 * 1024;
/** About 330 m north-east of IN_MY_THO: near enough to merge. */
const NEAR_MY_THO = { lat: 10.362, lng: 106.3624 };

interface Upload {
  name: string;
  type: string;
  data: Buffer;
}

type Answer<T> = { status: number; body: T & Partial<ApiErrorBody>; retryAfter: string | null };

/** A photo as a phone takes it, with the camera's make and model and where it stood in its EXIF. */
async function phonePhoto(name = 'IMG_0412.jpg'): Promise<Upload> {
  const data = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 30, g: 90, b: 160 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'Secret Model 7' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '10/1 21/1 3600/100', GPSLongitudeRef: 'E', GPSLongitude: '106/1 21/1 3600/100' },
    })
    .toBuffer();
  return { name, type: 'image/jpeg', data };
}

async function screenshot(): Promise<Upload> {
  const data = await sharp({ create: { width: 200, height: 400, channels: 3, background: '#ffcc00' } }).png().toBuffer();
  return { name: 'ban-do.png', type: 'image/png', data };
}

/** What no stored photo may carry. */
function expectNoMetadata(bytes: Buffer): void {
  for (const leak of ['Exif', 'PhoneMaker', 'Secret Model 7']) expect(bytes.includes(leak)).toBe(false);
}

describe('citizen field reports and field photos', () => {
  let server: TestServer;
  let photoDir: string;
  const tokens = {} as Record<Role, string>;
  let otherField: string;
  let myThoTeam: TeamDto;
  let addresses = 0;
  /** A client address of its own (the test server trusts X-Forwarded-For from loopback), so limits of one test never touch another's. */
  const newAddress = () => `198.51.100.${++addresses}`;

  const call = <T = IncidentDetailDto>(who: Role | string, method: string, path: string, body?: unknown) =>
    api<T & Partial<ApiErrorBody>>(server.baseUrl, method, path, body, who in tokens ? tokens[who as Role] : who);

  async function send<T>(path: string, fields: Record<string, string>, files: Upload[], options: { field?: string; address?: string; token?: string } = {}): Promise<Answer<T>> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const file of files) form.append(options.field ?? 'photos', new Blob([file.data], { type: file.type }), file.name);
    const headers: Record<string, string> = { 'x-forwarded-for': options.address ?? newAddress() };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(`${server.baseUrl}${path}`, { method: 'POST', body: form, headers });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
  }

  const flooding = (over: Record<string, string> = {}) => ({
    category: 'flooding',
    description: 'Nước ngập ngang gối trước chợ Mỹ Tho, xe máy chết máy',
    lat: String(IN_MY_THO.lat),
    lng: String(IN_MY_THO.lng),
    ...over,
  });

  const submit = (fields: Record<string, string>, files: Upload[] = [], options: { field?: string; address?: string } = {}) =>
    send<ReportReceiptDto>('/api/reports', fields, files, options);

  /** Public: no token. */
  const track = (code: string) => api<ReportTrackingDto & Partial<ApiErrorBody>>(server.baseUrl, 'GET', `/api/reports/${code}`);
  const rate = async (code: string, body: unknown, address = newAddress()) => {
    const res = await fetch(`${server.baseUrl}/api/reports/${code}/rating`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ReportTrackingDto & Partial<ApiErrorBody> };
  };

  async function incidentOf(code: string): Promise<IncidentDto> {
    const { rows } = await server.pool.query<{ incident_id: string }>('SELECT incident_id FROM citizen_reports WHERE code = $1', [code]);
    return (await call<IncidentDto>('operator', 'GET', `/api/incidents/${rows[0].incident_id}`)).body;
  }

  async function reported(fields = flooding(), files: Upload[] = []): Promise<{ code: string; incident: IncidentDto }> {
    const answer = await submit(fields, files);
    expect(answer.status).toBe(201);
    return { code: answer.body.code, incident: await incidentOf(answer.body.code) };
  }

  async function readPhoto(who: Role | string, url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
    const res = await fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${who in tokens ? tokens[who as Role] : who}` } });
    return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  }

  const storedFiles = async () => (await readdir(photoDir, { recursive: true })).filter((f) => /\.(jpg|png|webp)$/.test(f));

  beforeAll(async () => {
    photoDir = await mkdtemp(join(tmpdir(), 'ioc-test-photos-'));
    server = await startTestServer({
      TRUST_PROXY: 'loopback',
      PHOTO_DIR: photoDir,
      PHOTO_MAX_BYTES: String(PHOTO_MAX_BYTES),
      REPORT_ADDRESS_LIMIT: '5',
      REPORT_PHONE_LIMIT: '3',
      REPORT_MERGE_MAX_M: '1000',
    });
    for (const role of ROLES) tokens[role] = (await server.session(role)).accessToken;
    myThoTeam = (await call<TeamDto[]>('admin', 'GET', '/api/teams')).body.find((t) => t.name === MY_THO_TEAM)!;
    const otherTeam = (await call<TeamDto>('admin', 'POST', '/api/teams', { name: 'Tổ xử lý hiện trường Vị Thanh' })).body;
    const user = { username: 'hientruong.vt', displayName: 'Trần Văn Phúc', password: 'vi-thanh-2026-field', role: 'field', teamId: otherTeam.id };
    expect((await call('admin', 'POST', '/api/users', user)).status).toBe(201);
    otherField = (await call<SessionDto>('', 'POST', '/api/auth/login', { username: user.username, password: user.password })).body.accessToken;
  });

  afterAll(async () => {
    await server?.close();
    await rm(photoDir, { recursive: true, force: true });
  });

  it('takes a report from intake to rating, with the field team photos before and after', async () => {
    const sent = await submit(flooding({ phone: '0912 345 678' }), [await phonePhoto(), await screenshot()]);
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ code: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{10}$/), status: 'received' });
    const { code } = sent.body;

    // The citizen's page: their own words and where it stands, nobody's name, phone or team.
    const received = await track(code);
    expect(received.status).toBe(200);
    expect(received.body).toEqual({
      code,
      category: 'flooding',
      description: flooding().description,
      submittedAt: expect.any(String),
      photoCount: 2,
      status: 'received',
      updatedAt: received.body.submittedAt,
      merged: false,
      outcome: null,
      ratingAsked: false,
      rating: null,
    });
    expect((await track(`${code.slice(0, 5).toLowerCase()}-${code.slice(5)}`)).body.code).toBe(code);

    // The operations room sees a citizen incident in its area, with the number to call back and the photos.
    const list = await call<IncidentPageDto>('operator', 'GET', '/api/incidents?source=citizen&category=flooding&areaId=my-tho');
    const incident = list.body.items.find((i) => i.description === flooding().description && i.reporterPhone === '0912345678')!;
    expect(incident).toMatchObject({
      source: 'citizen',
      title: 'Phản ánh: Ngập úng',
      severity: 'warning',
      state: 'open',
      location: IN_MY_THO,
      createdBy: null,
      mergedIntoId: null,
      rejectionReason: null,
    });
    expect(incident.areaIds).toContain('my-tho');
    const id = incident.id;
    const opened = (await call('viewer', 'GET', `/api/incidents/${id}`)).body.timeline;
    expect(opened.map((e) => [e.step, e.actor, e.photo?.phase])).toEqual([
      ['opened', null, undefined],
      ['photo_added', null, null],
      ['photo_added', null, null],
    ]);
    const citizenPhotos = (await call<IncidentPhotoDto[]>('viewer', 'GET', `/api/incidents/${id}/photos`)).body;
    expect(citizenPhotos).toEqual([
      expect.objectContaining({ incidentId: id, phase: null, takenBy: null, contentType: 'image/jpeg', width: 320, height: 240 }),
      expect.objectContaining({ incidentId: id, phase: null, takenBy: null, contentType: 'image/png', width: 200, height: 400 }),
    ]);
    expect(citizenPhotos.map((p) => p.id)).toEqual(opened.slice(1).map((e) => e.photo!.id));
    const stored = await readPhoto('operator', citizenPhotos[0].url);
    expect(stored).toMatchObject({ status: 200, type: 'image/jpeg' });
    expectNoMetadata(stored.bytes);
    expect((await sharp(stored.bytes).metadata()).exif).toBeUndefined();
    expect(stored.bytes.length).toBe(citizenPhotos[0].bytes);
    expect((await fetch(`${server.baseUrl}${citizenPhotos[0].url}`)).status).toBe(401);
    // Before it is dispatched to them, a field team does not know of it.
    expect((await call('field', 'GET', `/api/incidents/${id}/photos`)).status).toBe(404);
    expect((await readPhoto('field', citizenPhotos[0].url)).status).toBe(404);

    expect((await call('operator', 'POST', `/api/incidents/${id}/acknowledge`, {})).status).toBe(200);
    expect((await track(code)).body).toMatchObject({ status: 'in_progress', outcome: null, ratingAsked: false });
    expect((await call('operator', 'POST', `/api/incidents/${id}/dispatch`, { teamId: myThoTeam.id })).status).toBe(200);
    const dispatched = (await track(code)).body;
    expect(Object.keys(dispatched).sort()).toEqual(Object.keys(received.body).sort());
    for (const secret of ['0912345678', MY_THO_TEAM, 'canbotruc', 'hientruong']) expect(JSON.stringify(dispatched)).not.toContain(secret);

    // The field team on site: a photo before, one after.
    const before = await send<IncidentPhotoDto>(`/api/incidents/${id}/photos`, { phase: 'before', note: 'Cống bị rác chặn' }, [await phonePhoto('truoc.jpg')], {
      field: 'photo',
      token: tokens.field,
    });
    expect(before.status).toBe(201);
    expect(before.body).toMatchObject({ incidentId: id, phase: 'before', note: 'Cống bị rác chặn', takenBy: 'hientruong', contentType: 'image/jpeg' });
    const after = await send<IncidentPhotoDto>(`/api/incidents/${id}/photos`, { phase: 'after' }, [await phonePhoto('sau.jpg')], { field: 'photo', token: tokens.field });
    expect(after.body).toMatchObject({ phase: 'after', note: null });
    const timeline = (await call('operator', 'GET', `/api/incidents/${id}`)).body.timeline.filter((e) => e.step === 'photo_added' && e.actor !== null);
    expect(timeline.map((e) => [e.actor?.username, e.note, e.photo])).toEqual([
      ['hientruong', 'Cống bị rác chặn', { id: before.body.id, phase: 'before' }],
      ['hientruong', null, { id: after.body.id, phase: 'after' }],
    ]);
    const back = await readPhoto('field', after.body.url);
    expect(back.status).toBe(200);
    expectNoMetadata(back.bytes);
    expect((await call<IncidentPhotoDto[]>('field', 'GET', `/api/incidents/${id}/photos`)).body.map((p) => p.phase)).toEqual([null, null, 'before', 'after']);

    // Another team's field user finds neither the incident nor its photos, and cannot add one; a viewer may only look.
    const intruder = await send(`/api/incidents/${id}/photos`, { phase: 'after' }, [await phonePhoto()], { field: 'photo', token: otherField });
    expect(intruder.body).toMatchObject({ statusCode: 404, message: `incident ${id} does not exist` });
    expect((await call(otherField, 'GET', `/api/incidents/${id}/photos`)).status).toBe(404);
    expect((await readPhoto(otherField, before.body.url)).status).toBe(404);
    expect((await send(`/api/incidents/${id}/photos`, { phase: 'after' }, [await phonePhoto()], { field: 'photo', token: tokens.viewer })).status).toBe(403);
    expect((await readPhoto('viewer', before.body.url)).status).toBe(200);
    expect((await readPhoto('operator', `/api/incidents/${id}/photos/999999`)).status).toBe(404);

    // Not done yet: nothing to rate.
    expect((await rate(code, { rating: 5 })).body).toMatchObject({ statusCode: 409, message: 'the work on this report is not finished: rate it once it is resolved' });

    expect((await call('field', 'POST', `/api/incidents/${id}/resolve`, { note: 'Đã vớt rác, thông cống; nước rút hết' })).status).toBe(200);
    expect((await track(code)).body).toMatchObject({ status: 'resolved', outcome: 'Đã vớt rác, thông cống; nước rút hết', ratingAsked: true, rating: null });

    const rated = await rate(code, { rating: 4, comment: 'Xử lý nhanh' });
    expect(rated.status).toBe(200);
    expect(rated.body).toMatchObject({ status: 'resolved', ratingAsked: false, rating: { rating: 4, comment: 'Xử lý nhanh', ratedAt: expect.any(String) } });
    const { rows } = await server.pool.query('SELECT rating, rated_at, rated_incident_id FROM citizen_reports WHERE code = $1', [code]);
    expect(rows[0]).toMatchObject({ rating: 4, rated_at: expect.any(Date), rated_incident_id: String(id) });
    expect((await rate(code, { rating: 1 })).body).toMatchObject({ statusCode: 409, message: 'this report has been rated already' });
    expect((await call('operator', 'POST', `/api/incidents/${id}/close`, {})).status).toBe(200);
    expect((await track(code)).body).toMatchObject({ status: 'resolved', rating: { rating: 4 } });

    // The audit log keeps staff's changes, not the citizen's address or words.
    const audit = await call<AuditEntryDto[]>('admin', 'GET', '/api/audit?limit=500');
    expect(audit.body.map((e) => e.action)).toContain('POST /api/incidents/:id/resolve');
    expect(audit.body.filter((e) => e.action.includes('/api/reports'))).toEqual([]);
  });

  it('refuses photos that are not photos, too large or too many, keeping nothing of the report', async () => {
    const filesBefore = (await storedFiles()).length;
    const { rows: before } = await server.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM incidents WHERE source = 'citizen'");
    const good = await phonePhoto();
    const text = { name: 'hoa-don.jpg', type: 'image/jpeg', data: Buffer.from('Hoá đơn tiền điện tháng 11: 512.000 đồng\n') };
    const cases: [Upload[], string | undefined, number, string][] = [
      [[good, text], undefined, 400, 'photos[1] "hoa-don.jpg": is not a JPEG, PNG or WebP image (its content says so, whatever its name)'],
      [[{ ...text, data: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), text.data]) }], undefined, 400, 'photos[0] "hoa-don.jpg": cannot be read as a JPEG image'],
      [[{ name: 'lon.jpg', type: 'image/jpeg', data: Buffer.concat([good.data, Buffer.alloc(PHOTO_MAX_BYTES)]) }], undefined, 413, 'photos: each photo must be at most 256 kB'],
      [[good, good, good, good], undefined, 400, 'photos: at most 3 photos'],
      [[good], 'photo', 400, 'photo: no file is taken here; send at most 3 photos as "photos"'],
    ];
    for (const [files, field, status, message] of cases) {
      const answer = await submit(flooding(), files, { field });
      expect({ status: answer.status, message: answer.body.message }).toEqual({ status, message: expect.stringContaining(message) });
    }

    const fields: [Record<string, string>, RegExp][] = [
      [flooding({ category: 'earthquake' }), /^category: /],
      [flooding({ description: '   ' }), /^description: must not be empty/],
      [flooding({ description: 'x'.repeat(2001) }), /^description: /],
      [flooding({ lat: 'ten' }), /^lat: must be a decimal number/],
      [flooding({ lng: '200' }), /^lng: must be at most 180/],
      [flooding({ lat: '0', lng: '0' }), /^lat, lng: the place is outside every area this centre serves$/],
      [flooding({ phone: '12345' }), /^phone: a Vietnamese phone number/],
      [{ ...flooding(), name: 'Nguyễn Văn A' }, /name/],
    ];
    for (const [body, message] of fields) {
      const answer = await submit(body, [good]);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(answer.body.message).toMatch(message);
    }
    const { rows: after } = await server.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM incidents WHERE source = 'citizen'");
    expect(after[0].n).toBe(before[0].n);
    expect((await storedFiles()).length).toBe(filesBefore);

    // A field photo: one file in `photo`, a phase, on an incident the user sees.
    const { incident } = await reported();
    const path = `/api/incidents/${incident.id}/photos`;
    const operator = { field: 'photo', token: tokens.operator };
    const photoCases: [Record<string, string>, Upload[], number, string][] = [
      [{ phase: 'before' }, [], 400, 'photo: attach one photo (JPEG, PNG or WebP) as "photo"'],
      [{ phase: 'before' }, [good, good], 400, 'photo: one photo'],
      [{}, [good], 400, 'phase: '],
      [{ phase: 'during' }, [good], 400, 'phase: '],
      [{ phase: 'after' }, [text], 400, 'photo[0] "hoa-don.jpg": is not a JPEG, PNG or WebP image'],
    ];
    for (const [body, files, status, message] of photoCases) {
      const answer = await send(path, body, files, operator);
      expect({ status: answer.status, message: answer.body.message }).toEqual({ status, message: expect.stringContaining(message) });
    }
    expect((await send('/api/incidents/99999999/photos', { phase: 'after' }, [good], operator)).status).toBe(404);
    expect((await storedFiles()).length).toBe(filesBefore);
    expect((await track('ABCDEFGHJK')).body).toMatchObject({ statusCode: 404, message: 'no report has the tracking code ABCDEFGHJK' });
    // A client without photos may send JSON, the place as numbers.
    const json = await fetch(`${server.baseUrl}/api/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newAddress() },
      body: JSON.stringify({ category: 'fallen_tree', description: 'Cây đổ chắn ngang đường', ...IN_MY_THO }),
    });
    expect(json.status).toBe(201);
    expect((await track('not-a-code')).status).toBe(400);
  });

  it('limits reports per address and per phone number across requests, answering 429 with Retry-After', async () => {
    const address = newAddress();
    for (let i = 0; i < 5; i++) expect((await submit(flooding(), [], { address })).status).toBe(201);
    const sixth = await submit(flooding(), [await phonePhoto()], { address });
    expect(sixth.status).toBe(429);
    expect(sixth.body.message).toMatch(/^too many reports from this address \(at most 5 in 60 minutes\): try again in \d+ minutes$/);
    expect(Number(sixth.retryAfter)).toBeGreaterThan(3500);
    expect(Number(sixth.retryAfter)).toBeLessThanOrEqual(3600);
    expect((await submit(flooding())).status).toBe(201);

    // One number however it is written.
    for (const phone of ['0987 654 321', '0987.654.321', '+84 987 654 321']) expect((await submit(flooding({ phone }))).status).toBe(201);
    const fourth = await submit(flooding({ phone: '0987-654-321' }));
    expect(fourth.status).toBe(429);
    expect(fourth.body.message).toMatch(/^too many reports with this phone number \(at most 3 in 24 hours\): try again in \d+ hours$/);
    expect(Number(fourth.retryAfter)).toBeGreaterThan(86_000);
    expect((await submit(flooding({ phone: '0987654322' }))).status).toBe(201);

    // Only keyed hashes are kept: neither the addresses nor the numbers are in the database.
    const { rows } = await server.pool.query<{ key: Buffer }>('SELECT key FROM public_rate_events');
    expect(rows.length).toBeGreaterThan(0);
    const kept = Buffer.concat(rows.map((r) => r.key));
    for (const value of [address, '0987654321']) expect(kept.includes(value)).toBe(false);
    expect(rows.every((r) => r.key.length === 32)).toBe(true);
  });

  it("rejects a report with a reason the citizen reads, once, and only a citizen's report before dispatch", async () => {
    const { code, incident } = await reported(flooding({ category: 'other', description: 'Hàng xóm mở nhạc to' }));
    const rejected = await call('operator', 'POST', `/api/incidents/${incident.id}/reject`, { reason: 'Không thuộc phạm vi xử lý của IOC; vui lòng liên hệ công an phường' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ state: 'closed', closedBy: 'canbotruc', rejectionReason: 'Không thuộc phạm vi xử lý của IOC; vui lòng liên hệ công an phường' });
    expect(rejected.body.timeline.at(-1)).toMatchObject({ step: 'rejected', note: 'Không thuộc phạm vi xử lý của IOC; vui lòng liên hệ công an phường' });
    expect((await track(code)).body).toMatchObject({
      status: 'rejected',
      outcome: 'Không thuộc phạm vi xử lý của IOC; vui lòng liên hệ công an phường',
      ratingAsked: false,
    });
    expect((await rate(code, { rating: 1 })).body).toMatchObject({ statusCode: 409, message: 'this report was rejected: there is no work to rate' });
    expect((await call('operator', 'POST', `/api/incidents/${incident.id}/reject`, { reason: 'lần nữa' })).body).toMatchObject({ statusCode: 409 });

    const dispatched = (await reported()).incident;
    await call('operator', 'POST', `/api/incidents/${dispatched.id}/acknowledge`, {});
    await call('operator', 'POST', `/api/incidents/${dispatched.id}/dispatch`, { teamId: myThoTeam.id });
    expect((await call('operator', 'POST', `/api/incidents/${dispatched.id}/reject`, { reason: 'Trùng' })).body).toMatchObject({
      statusCode: 409,
      message: `incident ${dispatched.id} is dispatched: only an incident that is open or acknowledged can be rejected`,
    });
    const byPhone = await call('operator', 'POST', '/api/incidents', { title: 'Cây đổ chắn đường', category: 'fallen_tree', location: IN_MY_THO });
    expect((await call('operator', 'POST', `/api/incidents/${byPhone.body.id}/reject`, { reason: 'Trùng' })).body).toMatchObject({
      statusCode: 409,
      message: `incident ${byPhone.body.id} came from a call taken by an operator: only a citizen's report can be rejected`,
    });
    expect((await call('field', 'POST', `/api/incidents/${dispatched.id}/reject`, { reason: 'Trùng' })).status).toBe(403);
    expect((await call('operator', 'POST', `/api/incidents/${dispatched.id}/reject`, {})).body.message).toMatch(/^reason: /);
  });

  it('merges a report into an active incident nearby, and the tracking page follows that one to its rating', async () => {
    const first = await reported(flooding(), [await screenshot()]);
    const second = await reported(flooding({ lat: String(NEAR_MY_THO.lat), lng: String(NEAR_MY_THO.lng), description: 'Đường ngập, nước tràn vào nhà' }), [await phonePhoto()]);
    await call('operator', 'POST', `/api/incidents/${first.incident.id}/acknowledge`, {});

    const merged = await call('operator', 'POST', `/api/incidents/${second.incident.id}/merge`, { incidentId: first.incident.id, note: 'Cùng điểm ngập' });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ state: 'closed', mergedIntoId: first.incident.id, rejectionReason: null });
    expect(merged.body.timeline.at(-1)).toMatchObject({ step: 'merged', note: 'Cùng điểm ngập', relatedIncidentId: first.incident.id });
    const target = (await call('operator', 'GET', `/api/incidents/${first.incident.id}`)).body;
    expect(target.timeline.at(-1)).toMatchObject({ step: 'report_joined', relatedIncidentId: second.incident.id, actor: { username: 'canbotruc' } });
    // The merged report's photos show on the incident it joined.
    const photos = (await call<IncidentPhotoDto[]>('operator', 'GET', `/api/incidents/${first.incident.id}/photos`)).body;
    expect(photos.map((p) => p.incidentId)).toEqual([first.incident.id, second.incident.id]);
    expect((await readPhoto('operator', photos[1].url)).status).toBe(200);

    expect((await track(second.code)).body).toMatchObject({ status: 'in_progress', merged: true, description: 'Đường ngập, nước tràn vào nhà' });
    await call('operator', 'POST', `/api/incidents/${first.incident.id}/dispatch`, { teamId: myThoTeam.id });
    expect((await readPhoto('field', photos[1].url)).status).toBe(200);
    await call('field', 'POST', `/api/incidents/${first.incident.id}/resolve`, { note: 'Đã bơm hút nước' });
    expect((await track(second.code)).body).toMatchObject({ status: 'resolved', merged: true, outcome: 'Đã bơm hút nước', ratingAsked: true });
    expect((await rate(second.code, { rating: 5 })).status).toBe(200);
    const { rows } = await server.pool.query('SELECT rated_incident_id FROM citizen_reports WHERE code = $1', [second.code]);
    expect(rows[0].rated_incident_id).toBe(String(first.incident.id));
    expect((await track(first.code)).body).toMatchObject({ status: 'resolved', merged: false, ratingAsked: true });

    // Refusals: far away, not active, itself, not a report.
    const far = await reported(flooding({ lat: String(IN_VI_THANH.lat), lng: String(IN_VI_THANH.lng) }));
    const open = await reported();
    expect((await call('operator', 'POST', `/api/incidents/${far.incident.id}/merge`, { incidentId: open.incident.id })).body).toMatchObject({
      statusCode: 409,
      message: expect.stringMatching(new RegExp(`^incident ${open.incident.id} is \\d+ m from incident ${far.incident.id}: only incidents at most 1000 m apart can be merged$`)),
    });
    expect((await call('operator', 'POST', `/api/incidents/${open.incident.id}/merge`, { incidentId: first.incident.id })).body).toMatchObject({
      statusCode: 409,
      message: `incident ${first.incident.id} is resolved: a report can only be merged into an incident that is open, acknowledged, dispatched`,
    });
    expect((await call('operator', 'POST', `/api/incidents/${open.incident.id}/merge`, { incidentId: open.incident.id })).body).toMatchObject({ statusCode: 409 });
    expect((await call('operator', 'POST', `/api/incidents/${open.incident.id}/merge`, { incidentId: 99_999_999 })).body).toMatchObject({
      statusCode: 404,
      message: 'incident 99999999 does not exist',
    });
    expect((await call('viewer', 'POST', `/api/incidents/${open.incident.id}/merge`, { incidentId: first.incident.id })).status).toBe(403);
  });
});

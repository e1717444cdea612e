import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { REPORT_PHOTOS_FIELD, type IncidentDetailDto, type IncidentPageDto, type IncidentPhotoDto, type ReportReceiptDto, type TeamDto } from '@ioc/contracts';
import { api, eventually } from '../support/clients';
import { startTestServer, type TestServer } from '../support/test-server';
import { CHROMIUM, UNREACHABLE_TILES, expectText, logIn } from '../support/browser';

jest.setTimeout(90_000);

const RESULTS = join(__dirname, '../../test-results');
const MY_THO_TEAM = 'Tổ xử lý hiện trường Mỹ Tho';
/** Đường Ấp Bắc, Mỹ Tho: inside the pilot areas the server serves. */
const MY_THO = { latitude: 10.36, longitude: 106.365 };
/** The demo users' documented password. */
const demoPassword = (username: string) => `${username}-demo-2026`;
/** Reports one client address may send in the window: the test's three, then a refusal. */
const REPORT_ADDRESS_LIMIT = 3;

/** A small photo of the kind a phone takes, made here. */
const photo = (r: number, g: number, b: number, format: 'jpeg' | 'png' = 'jpeg') =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: { r, g, b } } })[format]().toBuffer();

/** A phone at 390×844 in a browser set to English and UTC: the pages must still speak Vietnamese in Vietnam time. */
const phone = (browser: Browser, geolocation?: { latitude: number; longitude: number }) =>
  browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
    timezoneId: 'UTC',
    ...(geolocation ? { geolocation, permissions: ['geolocation'] } : {}),
  });

describe('citizen reports: filed on a phone, triaged in the operations room, photographed on site, rated', () => {
  let server: TestServer;
  let browser: Browser;
  let operator: string;
  let team: TeamDto;
  let citizen: BrowserContext;
  let citizenPage: Page;
  /** The first report: its code and its incident. */
  let code: string;
  let incidentId: number;
  const pageErrors: string[] = [];

  const incident = async (id: number) => (await api<IncidentDetailDto>(server.baseUrl, 'GET', `/api/incidents/${id}`, undefined, operator)).body;
  const incidentOfReport = (description: string) =>
    eventually(async () => {
      const page = await api<IncidentPageDto>(server.baseUrl, 'GET', '/api/incidents?source=citizen', undefined, operator);
      return page.body.items.find((i) => i.description === description)?.id;
    });
  /** A report sent as the page sends it, without the page. */
  async function reportByApi(description: string, place: { lat: number; lng: number }): Promise<ReportReceiptDto> {
    const form = new FormData();
    form.set('category', 'flooding');
    form.set('description', description);
    form.set('lat', place.lat.toFixed(6));
    form.set('lng', place.lng.toFixed(6));
    form.append(REPORT_PHOTOS_FIELD, new Blob([new Uint8Array(await photo(90, 90, 90))], { type: 'image/jpeg' }), 'pho.jpg');
    const res = await fetch(`${server.baseUrl}/api/reports`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    return (await res.json()) as ReportReceiptDto;
  }
  async function operatorPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.baseUrl);
    await logIn(page, 'canbotruc', demoPassword('canbotruc'));
    await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor();
    return page;
  }

  beforeAll(async () => {
    await mkdir(RESULTS, { recursive: true });
    server = await startTestServer({ CONSOLE_TILE_URL: UNREACHABLE_TILES, REPORT_ADDRESS_LIMIT: String(REPORT_ADDRESS_LIMIT) });
    operator = (await server.session('operator')).accessToken;
    team = (await api<TeamDto[]>(server.baseUrl, 'GET', '/api/teams', undefined, operator)).body.find((t) => t.name === MY_THO_TEAM)!;
    browser = await chromium.launch(CHROMIUM);
    citizen = await phone(browser, MY_THO);
    citizenPage = await citizen.newPage();
    citizenPage.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lets a citizen on a phone report flooding with a photo, without logging in, and gives a tracking code', async () => {
    const page = citizenPage;
    await page.goto(`${server.baseUrl}/phan-anh`);
    await expectText(page, '.citizen-header__title', 'Phản ánh hiện trường');
    expect(await page.locator('[data-testid="login-form"]').count()).toBe(0);
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    // Nothing wider than the phone, down to the narrowest in use.
    for (const width of [390, 360]) {
      await page.setViewportSize({ width, height: 844 });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 390, height: 844 });

    // Sent empty, the form says what is missing and sends nothing.
    await page.locator('[data-testid="report-submit"]').tap();
    await expectText(page, '[data-testid="report-problem-category"]', 'Hãy chọn loại sự việc');
    await expectText(page, '[data-testid="report-problem-location"]', 'Hãy chọn vị trí: dùng vị trí của bạn hoặc chạm vào bản đồ');

    await page.locator('select[name="category"]').selectOption('flooding');
    expect(await page.locator('select[name="category"] option:checked').textContent()).toBe('Ngập úng');
    await page.locator('textarea[name="description"]').fill('Nước ngập ngang bánh xe trước số 12 đường Ấp Bắc');
    await page.locator('[data-testid="use-my-location"]').tap();
    await expectText(page, '[data-testid="report-place-chosen"]', 'Đã chọn vị trí: 10.36000, 106.36500');
    await page.locator('.report-place__marker').waitFor();

    // Four photos picked at once: three are kept, the fourth refused.
    const picked = await Promise.all([photo(40, 120, 200), photo(200, 60, 40, 'png'), photo(60, 160, 60), photo(220, 200, 40)]);
    await page.locator('[data-testid="report-photo-input"]').setInputFiles(
      picked.map((buffer, i) => ({ name: `anh-${i + 1}.${i === 1 ? 'png' : 'jpg'}`, mimeType: i === 1 ? 'image/png' : 'image/jpeg', buffer })),
    );
    await expectText(page, '[data-testid="report-photo-refused"]', 'Chỉ gửi được tối đa 3 ảnh');
    await eventually(async () => ((await page.locator('img.report-photos__thumb').count()) === 3 ? true : undefined));
    expect(await page.locator('[data-testid="report-photo-input"]').count()).toBe(0);
    await page.locator('.report-photos__remove').nth(2).tap();
    await page.locator('.report-photos__remove').nth(1).tap();
    await eventually(async () => ((await page.locator('img.report-photos__thumb').count()) === 1 ? true : undefined));
    expect(await page.locator('[data-testid="report-photo-camera"]').getAttribute('capture')).toBe('environment');

    await page.locator('input[name="phone"]').fill('0912 345 678');
    await page.screenshot({ path: join(RESULTS, 'citizen-report-form.png'), fullPage: true });
    await page.locator('[data-testid="report-submit"]').tap();

    await page.locator('[data-testid="report-receipt"]').waitFor();
    code = (await page.locator('[data-testid="report-code"]').textContent())!;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
    await page.screenshot({ path: join(RESULTS, 'citizen-receipt.png'), fullPage: true });

    incidentId = await incidentOfReport('Nước ngập ngang bánh xe trước số 12 đường Ấp Bắc');
    expect(await incident(incidentId)).toMatchObject({
      source: 'citizen',
      category: 'flooding',
      state: 'open',
      location: { lat: 10.36, lng: 106.365 },
      reporterPhone: '0912345678',
    });
    const photos = await api<IncidentPhotoDto[]>(server.baseUrl, 'GET', `/api/incidents/${incidentId}/photos`, undefined, operator);
    expect(photos.body).toHaveLength(1);
    expect(photos.body[0]).toMatchObject({ phase: null, contentType: 'image/jpeg', width: 640, height: 480 });
  });

  it('shows the citizen where the report stands at its tracking address', async () => {
    const page = citizenPage;
    await page.locator('[data-testid="report-tracking-link"]').tap();
    await expectText(page, '[data-testid="tracking-status"]', 'Chờ tiếp nhận');
    expect(new URL(page.url()).pathname).toBe(`/phan-anh/${code}`);
    expect(await page.locator('[data-testid="tracking-code"]').textContent()).toBe(code);
    expect(await page.locator('[data-testid="tracking-category"]').textContent()).toBe('Ngập úng');
    expect(await page.locator('[data-testid="tracking-description"]').textContent()).toBe('Nước ngập ngang bánh xe trước số 12 đường Ấp Bắc');
    expect(await page.locator('[data-testid="rating-form"]').count()).toBe(0);

    // A code typed by hand, in lower case with a dash, leads to the same page.
    await page.goto(`${server.baseUrl}/phan-anh`);
    await page.locator('input[name="code"]').fill(`${code.slice(0, 5).toLowerCase()}-${code.slice(5)}`);
    await page.locator('[data-testid="tracking-lookup"] button[type="submit"]').tap();
    await expectText(page, '[data-testid="tracking-code"]', code);

    // A code nobody was given.
    await page.goto(`${server.baseUrl}/phan-anh/0000000000`);
    await expectText(page, '[data-testid="tracking-error"] .citizen-error__line', 'Không tìm thấy phản ánh có mã tra cứu này');
  });

  it('shows the operations room what was reported, with the photo and the number to call, to acknowledge and dispatch', async () => {
    const page = await operatorPage();
    const card = `[data-testid="incident-${incidentId}"]`;
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Chưa tiếp nhận');
    expect(await page.locator(`${card} .incident-card__title`).textContent()).toBe('Phản ánh: Ngập úng');
    expect(await page.locator(`[data-testid="incident-description-${incidentId}"]`).textContent()).toBe('Nước ngập ngang bánh xe trước số 12 đường Ấp Bắc');
    expect(await page.locator(`[data-testid="incident-phone-${incidentId}"]`).getAttribute('href')).toBe('tel:0912345678');
    expect(await page.locator(`[data-testid="incident-place-${incidentId}"]`).textContent()).toBe('Vị trí: Thành phố Mỹ Tho · 10.36000, 106.36500');

    // The citizen's photo, fetched with the operator's token: never a public address.
    const image = page.locator(`[data-testid="incident-photos-${incidentId}"] img`);
    await image.waitFor();
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    const naturalWidth = `document.querySelector('[data-testid="incident-photos-${incidentId}"] img').naturalWidth`;
    await eventually(async () => ((await page.evaluate(naturalWidth)) === 640 ? true : undefined));
    expect(await page.locator(`[data-testid="incident-photos-${incidentId}"] figcaption`).textContent()).toBe('Ảnh người dân gửi');
    const photoUrl = (await api<IncidentPhotoDto[]>(server.baseUrl, 'GET', `/api/incidents/${incidentId}/photos`, undefined, operator)).body[0].url;
    expect((await fetch(`${server.baseUrl}${photoUrl}`)).status).toBe(401);

    expect(await page.locator(`${card} [data-testid="incident-action-reject"]`).count()).toBe(1);
    expect(await page.locator(`${card} [data-testid="incident-action-merge"]`).count()).toBe(1);
    await page.screenshot({ path: join(RESULTS, 'console-citizen-report.png') });
    await page.locator(`${card} [data-testid="incident-action-acknowledge"]`).click();
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Đã tiếp nhận');
    await page.locator(`${card} [data-testid="incident-action-dispatch"]`).click();
    await page.locator(`${card} select[name="teamId"]`).selectOption({ label: MY_THO_TEAM });
    await page.locator(`${card} [data-testid="incident-confirm"]`).click();
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Đã giao xử lý');
    // Once a team is sent, the report is no longer triaged.
    expect(await page.locator(`${card} [data-testid="incident-action-reject"]`).count()).toBe(0);
    await page.close();

    const citizenView = await api<{ status: string }>(server.baseUrl, 'GET', `/api/reports/${code}`);
    expect(citizenView.body.status).toBe('in_progress');
  });

  it('merges a second report of the same flooding into the first, and tells its sender', async () => {
    const second = await reportByApi('Ngập nặng đoạn Ấp Bắc gần chợ', { lat: 10.3603, lng: 106.3652 });
    const secondId = await incidentOfReport('Ngập nặng đoạn Ấp Bắc gần chợ');
    const page = await operatorPage();
    const card = `[data-testid="incident-${secondId}"]`;
    await expectText(page, `[data-testid="incident-state-${secondId}"]`, 'Chưa tiếp nhận');
    await page.locator(`${card} [data-testid="incident-action-merge"]`).click();
    // The first report, dispatched 40 m away, is the nearest incident being handled.
    const nearest = page.locator(`${card} [data-testid="merge-targets"] li`).first();
    expect(await nearest.locator('.merge-targets__title').textContent()).toBe(`#${incidentId} Phản ánh: Ngập úng`);
    expect(await nearest.locator('.merge-targets__distance').textContent()).toBe('cách 40 m');
    await page.locator(`${card} [data-testid="merge-target-${incidentId}"]`).check();
    expect(await page.locator(`${card} input[name="incidentId"]`).inputValue()).toBe(String(incidentId));
    await page.screenshot({ path: join(RESULTS, 'console-merge.png') });
    await page.locator(`${card} [data-testid="incident-confirm"]`).click();
    // Closed: it leaves the list.
    await page.locator(card).waitFor({ state: 'detached' });
    expect(await incident(secondId)).toMatchObject({ state: 'closed', mergedIntoId: incidentId });
    await page.close();

    const tracking = await citizen.newPage();
    tracking.on('pageerror', (error) => pageErrors.push(error.message));
    await tracking.goto(`${server.baseUrl}/phan-anh/${second.code}`);
    await expectText(tracking, '[data-testid="tracking-status"]', 'Đang xử lý');
    expect(await tracking.locator('.tracking__note').textContent()).toContain('đã được gộp với một phản ánh khác');
    await tracking.close();
  });

  it('lets the field team photograph the site before and after the work, then resolve it, on a phone', async () => {
    const context = await phone(browser);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.baseUrl}/field`);
    await logIn(page, 'hientruong', demoPassword('hientruong'));
    const card = `[data-testid="incident-${incidentId}"]`;
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Đã giao xử lý');
    expect(await page.locator(`${card} [data-testid="photo-capture-before"]`).getAttribute('capture')).toBe('environment');
    expect(await page.locator(`${card} .photo-capture__button`).allTextContents()).toEqual(['Ảnh trước khi xử lý', 'Ảnh sau khi xử lý']);

    await page.locator(`${card} [data-testid="photo-capture-before"]`).setInputFiles({ name: 'truoc.jpg', mimeType: 'image/jpeg', buffer: await photo(20, 60, 140) });
    await expectText(page, `${card} [data-testid="photo-capture-sent"]`, 'Đã tải ảnh lên: Ảnh trước khi xử lý');
    await page.locator(`${card} [data-testid="incident-action-acknowledge"]`).tap();
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Đã đến hiện trường');
    await page.locator(`${card} [data-testid="photo-capture-after"]`).setInputFiles({ name: 'sau.jpg', mimeType: 'image/jpeg', buffer: await photo(200, 200, 200) });
    await expectText(page, `${card} [data-testid="photo-capture-sent"]`, 'Đã tải ảnh lên: Ảnh sau khi xử lý');

    // The citizen's photos, the merged report's included, then the team's two.
    const captions = page.locator(`[data-testid="incident-photos-${incidentId}"] figcaption`);
    await eventually(async () => ((await captions.count()) === 4 ? true : undefined)).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await captions.allTextContents())}`);
    });
    expect(await captions.allTextContents()).toEqual(['Ảnh người dân gửi', 'Ảnh người dân gửi', 'Ảnh trước khi xử lý', 'Ảnh sau khi xử lý']);

    // Something the server cannot read as a photo: the team is told, nothing is added.
    await page.locator(`${card} [data-testid="photo-capture-before"]`).setInputFiles({ name: 'x.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') });
    await expectText(page, `${card} [data-testid="photo-capture-error"]`, 'ảnh không đọc được (chỉ nhận ảnh JPEG, PNG hoặc WebP), hãy chụp lại');

    await page.locator(`${card} [data-testid="incident-action-resolve"]`).tap();
    await page.locator(`${card} textarea[name="note"]`).fill('Đã thông cống thoát nước, nước đã rút hết');
    await page.screenshot({ path: join(RESULTS, 'field-photos.png'), fullPage: true });
    await page.locator(`${card} [data-testid="incident-confirm"]`).tap();
    await expectText(page, `[data-testid="incident-state-${incidentId}"]`, 'Đã xử lý');
    await context.close();

    const photos = (await api<IncidentPhotoDto[]>(server.baseUrl, 'GET', `/api/incidents/${incidentId}/photos`, undefined, operator)).body;
    expect(photos.map((p) => [p.phase, p.takenBy])).toEqual([
      [null, null],
      [null, null],
      ['before', 'hientruong'],
      ['after', 'hientruong'],
    ]);
  });

  it('shows the citizen what was done, and takes their rating', async () => {
    const page = citizenPage;
    await page.goto(`${server.baseUrl}/phan-anh/${code}`);
    await expectText(page, '[data-testid="tracking-status"]', 'Đã xử lý');
    expect(await page.locator('[data-testid="tracking-outcome"] .tracking__text').textContent()).toBe('Đã thông cống thoát nước, nước đã rút hết');

    // No stars, no rating.
    await page.locator('[data-testid="rating-submit"]').tap();
    await page.locator('[data-testid="rating-form"] [role="alert"]').waitFor();
    await page.locator('[data-testid="rating-4"]').tap();
    await expectText(page, '.rating-form__meaning', 'Hài lòng');
    await page.locator('textarea[name="comment"]').fill('Xử lý nhanh, cảm ơn các anh');
    await page.locator('[data-testid="rating-submit"]').tap();

    await page.locator('[data-testid="tracking-rating"]').waitFor();
    expect(await page.locator('[data-testid="rating-form"]').count()).toBe(0);
    expect(await page.locator('[data-testid="tracking-rating"] .rating-stars').getAttribute('aria-label')).toBe('4 sao');
    expect(await page.locator('[data-testid="tracking-rating"] .tracking__text').textContent()).toBe('Xử lý nhanh, cảm ơn các anh');
    await page.screenshot({ path: join(RESULTS, 'citizen-tracking.png'), fullPage: true });

    // The rating stays: a reload shows it, and asks for none.
    await page.reload();
    await page.locator('[data-testid="tracking-rating"]').waitFor();
    expect(await page.locator('[data-testid="rating-form"]').count()).toBe(0);
  });

  it('rejects a report with a reason the citizen reads in their language', async () => {
    const rejected = await reportByApi('Có rác trên vỉa hè', { lat: 10.361, lng: 106.366 });
    const rejectedId = await incidentOfReport('Có rác trên vỉa hè');
    const page = await operatorPage();
    const card = `[data-testid="incident-${rejectedId}"]`;
    await page.locator(`${card} [data-testid="incident-action-reject"]`).click();
    // A reason is required: the citizen is owed one.
    await page.locator(`${card} [data-testid="incident-confirm"]`).click();
    expect(await page.evaluate(`document.querySelector('${card} textarea[name="reason"]').validity.valueMissing`)).toBe(true);
    await page.locator(`${card} textarea[name="reason"]`).fill('Rác đã được thu gom theo lịch sáng nay');
    await page.locator(`${card} [data-testid="incident-confirm"]`).click();
    await page.locator(card).waitFor({ state: 'detached' });
    expect(await incident(rejectedId)).toMatchObject({ state: 'closed', rejectionReason: 'Rác đã được thu gom theo lịch sáng nay' });
    await page.close();

    const tracking = await citizen.newPage();
    tracking.on('pageerror', (error) => pageErrors.push(error.message));
    await tracking.goto(`${server.baseUrl}/phan-anh/${rejected.code}`);
    await expectText(tracking, '[data-testid="tracking-status"]', 'Không tiếp nhận');
    expect(await tracking.locator('[data-testid="tracking-outcome"] h3').textContent()).toBe('Lý do không tiếp nhận');
    expect(await tracking.locator('[data-testid="tracking-outcome"] .tracking__text').textContent()).toBe('Rác đã được thu gom theo lịch sáng nay');
    expect(await tracking.locator('[data-testid="rating-form"]').count()).toBe(0);
    // The language switch reaches the public pages too.
    await tracking.locator('.language-switch button[lang="en"]').tap();
    await expectText(tracking, '[data-testid="tracking-status"]', 'Not accepted');
    await tracking.locator('.language-switch button[lang="vi"]').tap();
    await tracking.close();
  });

  it(`tells a citizen past ${REPORT_ADDRESS_LIMIT} reports to try again later, in Vietnamese`, async () => {
    const page = citizenPage;
    await page.goto(`${server.baseUrl}/phan-anh`);
    await page.locator('select[name="category"]').selectOption('fallen_tree');
    await page.locator('textarea[name="description"]').fill('Cây đổ chắn ngang đường');
    // The place tapped on the map this time, on the narrowest phone.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('.report-place__canvas').tap();
    await expect(page.locator('[data-testid="report-place-chosen"]').textContent()).resolves.toMatch(/^Đã chọn vị trí: \d+\.\d{5}, \d+\.\d{5}$/);
    await page.locator('.report-place__marker').waitFor();
    await page.screenshot({ path: join(RESULTS, 'citizen-report-360.png'), fullPage: true });
    await page.locator('[data-testid="report-submit"]').tap();
    await expectText(page, '[data-testid="report-error"] .citizen-error__line', 'Bạn đã gửi quá nhiều phản ánh, vui lòng thử lại sau');
    expect(await page.locator('[data-testid="report-error"]').getAttribute('data-reason')).toBe('too-many-reports');
    // What was typed stays, to send later.
    expect(await page.locator('textarea[name="description"]').inputValue()).toBe('Cây đổ chắn ngang đường');
  });

  it('raised no errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { topics, type AlertRuleDefinitionInput, type SessionDto } from '@ioc/contracts';
import { api, eventually, provisionDevice } from '../support/clients';
import { startTestServer, type TestServer } from '../support/test-server';
import { CHROMIUM, UNREACHABLE_TILES, expectText, logIn } from '../support/browser';

jest.setTimeout(60_000);

const DEVICE_ID = 'mt-wl-browser-01';
const SCREENSHOT = join(__dirname, '../../test-results/console.png');
const LOGIN_SCREENSHOT = join(__dirname, '../../test-results/login.png');
const TITLE = 'Trung tâm Giám sát, điều hành đô thị thông minh (IOC)';
/** Where the console keeps its session; see apps/console/src/auth/stored-session.ts. */
const SESSION_KEY = 'ioc.console.session';

const marker = `[data-device-id="${DEVICE_ID}"]`;
const markerValue = `${marker} [data-testid="marker-value"]`;
const rowValue = `[data-testid="device-value-${DEVICE_ID}-water_level"]`;
const loginForm = '[data-testid="login-form"]';
const connected = '[data-testid="connection-state"][data-state="connected"]';

/** The refresh token the page keeps, or null. Given as text: the function runs in the page. */
async function storedRefreshToken(page: Page): Promise<string | null> {
  const stored = (await page.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`)) as string | null;
  return stored === null ? null : (JSON.parse(stored) as { refreshToken: string }).refreshToken;
}

describe('operations console in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let device: MqttClient;
  let operator: SessionDto;
  /** The administrator's access token, for setting up devices and rules. */
  let admin: string;
  const pageErrors: string[] = [];
  const requestUrls: string[] = [];

  const publish = (waterLevel: number) =>
    device.publishAsync(topics.telemetry(DEVICE_ID), JSON.stringify({ ts: Date.now(), metrics: { water_level: waterLevel } }), {
      qos: 1,
    });

  beforeAll(async () => {
    server = await startTestServer({ CONSOLE_TILE_URL: UNREACHABLE_TILES });
    admin = (await server.session('admin')).accessToken;
    device = await provisionDevice(server, admin, { id: DEVICE_ID, kind: 'water_level', name: 'Trạm đo mực nước cầu Quay', lat: 10.36, lng: 106.36 });
    browser = await chromium.launch(CHROMIUM);
    // A browser set to another language and zone: the console must still show Vietnamese, in Vietnam time.
    page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requestUrls.push(request.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await device?.endAsync();
    await server?.close();
  });

  it('asks who is there before showing anything', async () => {
    await page.goto(server.baseUrl);
    await page.locator(loginForm).waitFor();
    expect(await page.locator('h1').textContent()).toBe(TITLE);
    expect(await page.locator('#login-title').textContent()).toBe('Đăng nhập');
    expect(await page.locator('.login-card__submit').textContent()).toBe('Đăng nhập');
    expect(await page.locator(marker).count()).toBe(0);
    await mkdir(join(LOGIN_SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: LOGIN_SCREENSHOT });
  });

  it('says so when the password is wrong, in Vietnamese above the server message', async () => {
    await logIn(page, 'canbotruc', 'not-the-password');
    await expectText(page, '.login-card__error-line', 'Sai tên đăng nhập hoặc mật khẩu');
    expect(await page.locator('[data-testid="login-server-message"]').textContent()).toBe('wrong username or password');
    expect(await page.locator('input[name="password"]').inputValue()).toBe('');
    expect(await page.locator('[data-testid="current-user"]').count()).toBe(0);
  });

  it('logs in an operator through the form and shows who is on duty', async () => {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login') && r.status() === 200);
    await logIn(page, 'canbotruc', 'canbotruc-demo-2026');
    operator = (await (await answer).json()) as SessionDto;
    expect(operator.user.role).toBe('operator');
    await expectText(page, '[data-testid="current-user-name"]', operator.user.displayName);
    await expectText(page, '[data-testid="current-user-role"]', 'Cán bộ trực');
    expect(await page.locator('[data-testid="logout"]').textContent()).toBe('Đăng xuất');
  });

  it('draws the device on the offline basemap with the pilot area outlines', async () => {
    await page.locator(marker).waitFor();
    await page.locator('.pilot-outline').first().waitFor({ state: 'attached' });
    expect(await page.locator('.pilot-outline').count()).toBeGreaterThan(0);
    expect(await page.locator('.basemap-land--home').count()).toBe(1);
    await page.locator('.operations-map__notice').waitFor();
    expect(await page.locator('h1').textContent()).toBe(TITLE);
    await page.locator(connected).waitFor();
  });

  it('shows live readings in Vietnamese number format on the list, the marker and the popup', async () => {
    await publish(1.23);
    await expectText(page, rowValue, '1,23');

    await page.locator(`[data-testid="device-row-${DEVICE_ID}"]`).click();
    await expectText(page, markerValue, '1,23');
    const popup = page.locator('.leaflet-popup-content');
    await popup.waitFor();
    expect(await popup.textContent()).toContain('Mực nước');

    await publish(1.87);
    await expectText(page, rowValue, '1,87');
    await expectText(page, markerValue, '1,87');
    expect(await popup.textContent()).toContain('1,87');
  });

  it('lists an open alert, turns the marker red, and clears both when the alert resolves', async () => {
    const rule = await api(
      server.baseUrl,
      'POST',
      '/api/rules',
      {
        name: 'Mực nước vượt BĐ3',
        severity: 'critical',
        scope: { type: 'devices', deviceIds: [DEVICE_ID] },
        conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 2.5 }],
        messages: {
          vi: 'Mực nước tại {device} là {value} {unit}, vượt BĐ3 ({threshold} {unit})',
          en: 'Water level at {device} is {value} {unit}, above flood alarm level 3 ({threshold} {unit})',
        },
      } satisfies AlertRuleDefinitionInput,
      admin,
    );
    expect(rule.status).toBe(201);

    await publish(2.75);
    const alertRow = page.locator('[data-testid^="alert-row-"]');
    await alertRow.waitFor();
    const shown = await alertRow.textContent();
    for (const part of ['Nghiêm trọng', 'Trạm đo mực nước cầu Quay', 'Mực nước', '2,75', '2,50']) expect(shown).toContain(part);
    await page.locator(`${marker}.device-marker--alerting`).waitFor();

    // The popup fades in; wait for it so the picture shows it whole. Read through the locator:
    // a string predicate would be eval'd in the page, which its content security policy forbids.
    type Window = { getComputedStyle(element: unknown): { opacity: string } };
    await eventually(async () => {
      const opacity = await page.locator('.leaflet-popup').evaluate((popup) => (globalThis as unknown as Window).getComputedStyle(popup).opacity);
      return opacity === '1' ? true : undefined;
    });
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    await publish(1.5);
    await alertRow.waitFor({ state: 'detached' });
    await page.locator(`${marker}.device-marker--online`).waitFor();
  });

  it('catches up on readings sent while it was disconnected', async () => {
    const connection = page.locator('[data-testid="connection-state"]');
    await page.context().setOffline(true);
    await page.locator('[data-testid="connection-state"][data-state="reconnecting"]').waitFor();
    expect(await connection.textContent()).toContain('đang kết nối lại');

    await publish(2.02);
    await page.context().setOffline(false);
    await page.locator(connected).waitFor({ timeout: 20_000 });
    await expectText(page, rowValue, '2,02');
    expect(pageErrors).toEqual([]);
  });

  it('keeps the operator logged in across a reload, live', async () => {
    await page.reload();
    await page.locator(marker).waitFor();
    expect(await page.locator(loginForm).count()).toBe(0);
    await expectText(page, '[data-testid="current-user-role"]', 'Cán bộ trực');
    await page.locator(connected).waitFor();
    await expectText(page, rowValue, '2,02');
    await publish(1.11);
    await expectText(page, rowValue, '1,11');
  });

  it('never puts a token in a URL', async () => {
    const tokens = [operator.accessToken, operator.refreshToken, await storedRefreshToken(page)];
    expect(requestUrls.some((url) => url.includes('/socket.io/'))).toBe(true);
    for (const token of tokens) {
      expect(token).toBeTruthy();
      expect(requestUrls.filter((url) => url.includes(token!))).toEqual([]);
    }
  });

  it('logs out back to the login screen, ends the session on the server, and stays out after a reload', async () => {
    const refreshToken = await storedRefreshToken(page);
    await page.locator('[data-testid="logout"]').click();
    await page.locator(loginForm).waitFor();
    expect(await page.locator(marker).count()).toBe(0);
    expect(await storedRefreshToken(page)).toBeNull();
    expect((await api(server.baseUrl, 'POST', '/api/auth/refresh', { refreshToken })).status).toBe(401);

    await page.reload();
    await page.locator(loginForm).waitFor();
    expect(await page.locator('[data-testid="current-user"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

describe('operations console with short-lived access tokens', () => {
  const TTL_S = 3;
  const STATION = 'mt-wl-browser-02';
  const stationRow = `[data-testid="device-value-${STATION}-water_level"]`;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let device: MqttClient;
  const pageErrors: string[] = [];
  const refreshStatuses: number[] = [];
  let websockets = 0;

  beforeAll(async () => {
    server = await startTestServer({ CONSOLE_TILE_URL: UNREACHABLE_TILES, ACCESS_TOKEN_TTL_S: String(TTL_S), LOGIN_MAX_FAILURES: '2' });
    const admin = (await server.session('admin')).accessToken;
    device = await provisionDevice(server, admin, { id: STATION, kind: 'water_level', name: 'Trạm đo mực nước Rạch Miễu', lat: 10.3, lng: 106.38 });
    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      if (response.url().endsWith('/api/auth/refresh')) refreshStatuses.push(response.status());
    });
    page.on('websocket', () => websockets++);
  });

  afterAll(async () => {
    await browser?.close();
    await device?.endAsync();
    await server?.close();
  });

  const publish = (waterLevel: number) =>
    device.publishAsync(topics.telemetry(STATION), JSON.stringify({ ts: Date.now(), metrics: { water_level: waterLevel } }), { qos: 1 });

  it('stays logged in and live over several token lifetimes, refreshing one at a time', async () => {
    await page.goto(server.baseUrl);
    await page.locator(loginForm).waitFor();
    await logIn(page, 'truongca', 'truongca-demo-2026');
    await expectText(page, '[data-testid="current-user-role"]', 'Trưởng ca');
    await page.locator(connected).waitFor();
    const socketsBefore = websockets;

    // The socket's token runs out several times: each time the server ends it and the console comes back.
    await new Promise((resolve) => setTimeout(resolve, 3.5 * TTL_S * 1000));
    await publish(0.42);
    await expectText(page, stationRow, '0,42');
    await page.locator(connected).waitFor();
    expect(websockets - socketsBefore).toBeGreaterThanOrEqual(2);
    expect(await page.locator(loginForm).count()).toBe(0);
    // A refresh token is single use: a second refresh racing the first would have been refused.
    expect(refreshStatuses.length).toBeGreaterThanOrEqual(3);
    expect(refreshStatuses.filter((status) => status !== 200)).toEqual([]);

    await page.reload();
    await page.locator(connected).waitFor();
    await expectText(page, stationRow, '0,42');
    expect(pageErrors).toEqual([]);
  });

  it('stays logged in when reloaded while a refresh is on its way', async () => {
    let rotated!: () => void;
    const refreshReachedServer = new Promise<void>((resolve) => (rotated = resolve));
    await page.route(
      '**/api/auth/refresh',
      async (route) => {
        // The server rotates the refresh token; its answer never reaches the page.
        await route.fetch();
        rotated();
      },
      { times: 1 },
    );
    await refreshReachedServer;
    // The held request is left unanswered: the reload cancels it (unrouting would send it on a second time).
    await page.reload();
    await page.locator(connected).waitFor();
    await publish(0.57);
    await expectText(page, stationRow, '0,57');
    expect(await page.locator(loginForm).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('says an account is locked after repeated failures, above the server message', async () => {
    await page.locator('[data-testid="logout"]').click();
    await page.locator(loginForm).waitFor();
    const locked = 'Tài khoản tạm khoá do đăng nhập sai nhiều lần';
    for (let attempt = 0; attempt < 3; attempt++) {
      await logIn(page, 'nguoixem', `wrong-${attempt}`);
      await page.locator('.login-card__submit:not([disabled])').waitFor();
      if ((await page.locator('.login-card__error-line').textContent()) === locked) break;
    }
    await expectText(page, '.login-card__error-line', locked);
    expect(await page.locator('[data-testid="login-server-message"]').textContent()).toMatch(/^account locked/);
  });
});

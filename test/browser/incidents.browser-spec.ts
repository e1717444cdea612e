import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { chromium, type Browser } from 'playwright-core';
import { topics, type AlertRuleDefinitionInput, type IncidentDetailDto, type IncidentPageDto, type TeamDto } from '@ioc/contracts';
import { api, eventually, provisionDevice } from '../support/clients';
import { startTestServer, type TestServer } from '../support/test-server';
import { CHROMIUM, UNREACHABLE_TILES, expectText, logIn } from '../support/browser';

jest.setTimeout(60_000);

const FIELD_SCREENSHOT = join(__dirname, '../../test-results/field.png');
const MY_THO_TEAM = 'Tổ xử lý hiện trường Mỹ Tho';
/** The demo users' documented password. */
const demoPassword = (username: string) => `${username}-demo-2026`;

describe('incidents in the console and on a field team phone', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: string;
  let operator: string;
  let team: TeamDto;
  const devices: MqttClient[] = [];
  const pageErrors: string[] = [];

  /** A salinity station that crosses the threshold once; answers the incident it opens. */
  async function incidentAt(id: string): Promise<number> {
    const device = await provisionDevice(server, admin, { id, kind: 'salinity', name: `Trạm đo mặn ${id}`, lat: 10.36, lng: 106.36 });
    devices.push(device);
    await device.publishAsync(topics.telemetry(id), JSON.stringify({ ts: Date.now(), metrics: { salinity: 5.5 } }), { qos: 1 });
    return eventually(async () => (await api<IncidentPageDto>(server.baseUrl, 'GET', `/api/incidents?deviceId=${id}`, undefined, operator)).body.items[0]?.id);
  }
  const dispatch = async (id: number) => {
    await api(server.baseUrl, 'POST', `/api/incidents/${id}/acknowledge`, {}, operator);
    await api(server.baseUrl, 'POST', `/api/incidents/${id}/dispatch`, { teamId: team.id }, operator);
  };
  const incident = async (id: number) => (await api<IncidentDetailDto>(server.baseUrl, 'GET', `/api/incidents/${id}`, undefined, operator)).body;

  beforeAll(async () => {
    server = await startTestServer({ CONSOLE_TILE_URL: UNREACHABLE_TILES });
    admin = (await server.session('admin')).accessToken;
    operator = (await server.session('operator')).accessToken;
    team = (await api<TeamDto[]>(server.baseUrl, 'GET', '/api/teams', undefined, admin)).body.find((t) => t.name === MY_THO_TEAM)!;
    const rule: AlertRuleDefinitionInput = {
      name: 'Độ mặn vượt 4 ‰',
      scope: { type: 'deviceKind', deviceKind: 'salinity' },
      conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: 4 }],
      messages: { vi: '{device}: độ mặn {value} {unit} vượt ngưỡng {threshold} {unit}', en: '{device}: salinity {value} {unit} above {threshold} {unit}' },
    };
    expect((await api(server.baseUrl, 'POST', '/api/rules', rule, admin)).status).toBe(201);
    browser = await chromium.launch(CHROMIUM);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(devices.map((d) => d.endAsync()));
    await server?.close();
  });

  it('lets an operator acknowledge and dispatch an incident from the incidents panel', async () => {
    const id = await incidentAt('mt-sal-ui-01');
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.baseUrl);
    await logIn(page, 'canbotruc', demoPassword('canbotruc'));
    const card = `[data-testid="incident-${id}"]`;
    await expectText(page, `[data-testid="incident-state-${id}"]`, 'Chưa tiếp nhận');
    expect(await page.locator(`${card} .incident-card__title`).textContent()).toBe('Độ mặn vượt 4 ‰ · Trạm đo mặn mt-sal-ui-01');

    await page.locator(`${card} [data-testid="incident-action-acknowledge"]`).click();
    await expectText(page, `[data-testid="incident-state-${id}"]`, 'Đã tiếp nhận');
    await page.locator(`${card} [data-testid="incident-action-dispatch"]`).click();
    await page.locator(`${card} select[name="teamId"]`).selectOption({ label: MY_THO_TEAM });
    await page.locator(`${card} textarea[name="note"]`).fill('Kiểm tra cống Bảo Định');
    await page.locator(`${card} [data-testid="incident-confirm"]`).click();
    await expectText(page, `[data-testid="incident-state-${id}"]`, 'Đã giao xử lý');
    expect(await page.locator(`${card} .incident-card__facts`).textContent()).toContain(`Giao cho: ${MY_THO_TEAM}`);
    expect(await incident(id)).toMatchObject({ state: 'dispatched', teamId: team.id, acknowledgedBy: 'canbotruc', dispatchedBy: 'canbotruc' });
    await page.close();
  });

  it('shows a field user on a phone only their team’s incidents, and lets them resolve one', async () => {
    const ours = await incidentAt('mt-sal-ui-02');
    await dispatch(ours);
    const notYet = await incidentAt('mt-sal-ui-03');
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.baseUrl}/field`);
    await logIn(page, 'hientruong', demoPassword('hientruong'));

    const card = `[data-testid="incident-${ours}"]`;
    await expectText(page, `[data-testid="incident-state-${ours}"]`, 'Đã giao xử lý');
    expect(new URL(page.url()).pathname).toBe('/field');
    expect(await page.locator('.field-header__title').textContent()).toBe('Sự cố giao cho tổ');
    await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor();
    expect(await page.locator(`[data-testid="incident-${notYet}"]`).count()).toBe(0);
    expect(await page.locator('[data-testid="incident-panel"]').count()).toBe(0);

    await page.locator(`${card} [data-testid="incident-action-acknowledge"]`).tap();
    await expectText(page, `[data-testid="incident-state-${ours}"]`, 'Đã đến hiện trường');
    expect(await page.locator(`${card} [data-testid="incident-action-acknowledge"]`).count()).toBe(0);

    await page.locator(`${card} [data-testid="incident-action-resolve"]`).tap();
    await page.locator(`${card} textarea[name="note"]`).fill('Đã đóng cống ngăn mặn');
    await page.locator(`${card} [data-testid="incident-confirm"]`).tap();
    await expectText(page, `[data-testid="incident-state-${ours}"]`, 'Đã xử lý');
    expect(await page.locator(`${card} button`).count()).toBe(0);
    const resolved = await incident(ours);
    expect(resolved).toMatchObject({ state: 'resolved', onSiteBy: 'hientruong', resolvedBy: 'hientruong' });
    expect(resolved.timeline.at(-1)).toMatchObject({ step: 'resolved', actor: { username: 'hientruong' }, note: 'Đã đóng cống ngăn mặn' });

    // Dispatched while the phone is open: it shows up without a reload.
    await dispatch(notYet);
    await expectText(page, `[data-testid="incident-state-${notYet}"]`, 'Đã giao xử lý');
    await mkdir(join(FIELD_SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: FIELD_SCREENSHOT, fullPage: true });
    await context.close();
  });

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

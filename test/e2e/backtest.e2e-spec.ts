import type { BacktestResultDto, DeviceDto } from '@ioc/contracts';
import { api } from '../support/clients';
import { insertSamples } from '../support/samples';
import { startTestServer, type TestServer } from '../support/test-server';

jest.setTimeout(60_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const messages = { vi: '{device}: mực nước {value} {unit}', en: '{device}: water level {value} {unit}' };

describe('POST /api/rules/backtest', () => {
  let server: TestServer;
  let token: string;
  let areaId: string;
  const start = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
  const span = { from: new Date(start).toISOString(), to: new Date(start + 3 * HOUR).toISOString() };

  const backtest = (body: unknown, as = token) => api<BacktestResultDto & { message?: string }>(server.baseUrl, 'POST', '/api/rules/backtest', body, as);
  const level = (extra: Record<string, unknown> = {}) => ({
    name: 'Ngập đường',
    severity: 'critical',
    scope: { type: 'deviceKind', deviceKind: 'water_level' },
    conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 1.5, clear: 1.4, forS: 300 }],
    messages,
    ...extra,
  });
  /** One reading a minute for `minutes` from `offset` minutes after the start. */
  const minutes = (offset: number, values: readonly number[]): [number, number][] => values.map((v, i) => [start + (offset + i) * MIN, v]);

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('supervisor')).accessToken;
    const admin = (await server.session('admin')).accessToken;
    // Three gauges in one ward of Mỹ Tho, a fourth kept silent.
    for (const [id, lng] of [['bt-a', 106.3601], ['bt-b', 106.3605], ['bt-c', 106.3609], ['bt-quiet', 106.3613]] as const) {
      const res = await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind: 'water_level', name: id, lat: 10.3545, lng }, admin);
      expect(res.status).toBeLessThan(300);
    }
    const device = await api<DeviceDto>(server.baseUrl, 'GET', '/api/devices/bt-a', undefined, admin);
    areaId = device.body.areas.at(-1)!.id;
    // a: above 1.5 for 10 minutes from minute 30, a dip inside the hysteresis band, then down;
    //    again from minute 50 for 4 minutes only (shorter than `for`).
    await insertSamples(server.pool, 'bt-a', 'water_level', minutes(0, [
      ...Array<number>(30).fill(1.0), ...Array<number>(10).fill(1.6), 1.45, 1.6, 1.2, ...Array<number>(7).fill(1.0),
      ...Array<number>(4).fill(1.7), ...Array<number>(10).fill(1.0),
    ]));
    // b: above from minute 35 to 45; c: from minute 120 to the end.
    await insertSamples(server.pool, 'bt-b', 'water_level', minutes(0, [...Array<number>(35).fill(1.1), ...Array<number>(10).fill(1.8), ...Array<number>(20).fill(1.1)]));
    await insertSamples(server.pool, 'bt-c', 'water_level', minutes(100, [...Array<number>(20).fill(1.2), ...Array<number>(60).fill(1.9)]));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers the incidents a threshold rule with `for` and hysteresis would have opened, one per device', async () => {
    const res = await backtest({ rule: level(), ...span });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ devices: 4, inputs: 64 + 65 + 80, incidentCount: 3 });
    expect(res.body.incidents).toEqual([
      // Due five minutes into the run; the dip to 1.45 does not clear it, 1.2 does.
      { deviceIds: ['bt-a'], areaId: null, openedAt: iso(start + 35 * MIN), closedAt: iso(start + 42 * MIN), durationS: 420, value: 1.6, fires: 1 },
      { deviceIds: ['bt-b'], areaId: null, openedAt: iso(start + 40 * MIN), closedAt: iso(start + 45 * MIN), durationS: 300, value: 1.8, fires: 1 },
      // Still firing when the range ends.
      { deviceIds: ['bt-c'], areaId: null, openedAt: iso(start + 125 * MIN), closedAt: null, durationS: 55 * 60, value: 1.9, fires: 1 },
    ]);
  });

  it('gathers an area-grouped rule into one incident per wave, devices joining it', async () => {
    const res = await backtest({ rule: level({ scope: { type: 'area', areaId }, grouping: 'area', dampingS: 600 }), ...span });
    expect(res.status).toBe(200);
    expect(res.body.incidents).toEqual([
      { deviceIds: ['bt-a', 'bt-b'], areaId, openedAt: iso(start + 35 * MIN), closedAt: iso(start + 45 * MIN), durationS: 600, value: 1.6, fires: 2 },
      { deviceIds: ['bt-c'], areaId, openedAt: iso(start + 125 * MIN), closedAt: null, durationS: 55 * 60, value: 1.9, fires: 1 },
    ]);
  });

  it('fires a no-data rule on the clock for a device that never sent anything', async () => {
    const rule = { ...level(), scope: { type: 'devices', deviceIds: ['bt-quiet', 'bt-a'] }, conditions: [{ kind: 'no_data', metric: 'water_level', afterS: 1800 }] };
    const res = await backtest({ rule, ...span });
    expect(res.status).toBe(200);
    expect(res.body.incidents).toEqual([
      { deviceIds: ['bt-quiet'], areaId: null, openedAt: iso(start + 30 * MIN), closedAt: null, durationS: 150 * 60, value: null, fires: 1 },
      // a's last reading is at minute 63: silent from then on.
      { deviceIds: ['bt-a'], areaId: null, openedAt: iso(start + 93 * MIN), closedAt: null, durationS: 87 * 60, value: null, fires: 1 },
    ]);
  });

  it('refuses a bad draft or range with a message, and roles that may not edit rules', async () => {
    const unknownMetric = await backtest({ rule: level({ conditions: [{ kind: 'threshold', metric: 'tide_height', operator: '>', value: 1 }] }), ...span });
    expect(unknownMetric.status).toBe(400);
    expect(unknownMetric.body.message).toMatch(/tide_height is not in the metric catalogue/);
    const backwards = await backtest({ rule: level(), from: span.to, to: span.from });
    expect(backwards.status).toBe(400);
    expect(backwards.body.message).toMatch(/from must be before to/);
    const tooLong = await backtest({ rule: level(), from: span.from, to: new Date(start + 40 * 24 * HOUR).toISOString() });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/at most 31 days/);
    const badTemplate = await backtest({ rule: level({ messages: { vi: '{station}', en: 'x' } }), ...span });
    expect(badTemplate.status).toBe(400);
    expect(badTemplate.body.message).toMatch(/unknown placeholder \{station\}/);
    const operator = await backtest({ rule: level(), ...span }, (await server.session('operator')).accessToken);
    expect(operator.status).toBe(403);
  });
});

const iso = (ms: number) => new Date(ms).toISOString();

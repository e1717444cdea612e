import type { ApiErrorBody, IncidentStatisticsDto, IncidentStatisticsRowDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api } from '../support/clients';
import { parseCsv } from '../support/csv-reader';

jest.setTimeout(60_000);

/**
 * Incidents with known times, figures computed by hand below. Times are UTC; the periods are
 * those of Asia/Ho_Chi_Minh (UTC+7), so C (Sunday 17:30 UTC) falls on Monday 30 November and in
 * the second week, and H (30 November 17:30 UTC) in December.
 */
const FIXTURE = [
  // A: acknowledged after 60 s, resolved after 1 h, both in time.
  { key: 'A', source: 'rule', category: 'salinity', severity: 'critical', state: 'resolved', area: 'my-tho', created: '2026-11-24T03:00:00Z', ackS: 60, resolveS: 3600, ackDueS: 300, resolveDueS: 14_400 },
  // B: acknowledged after 10 min and resolved after 20,000 s: both deadlines breached.
  { key: 'B', source: 'rule', category: 'salinity', severity: 'critical', state: 'resolved', area: 'my-tho', created: '2026-11-25T03:00:00Z', ackS: 600, resolveS: 20_000, ackDueS: 300, resolveDueS: 14_400, ackBreached: true, resolveBreached: true },
  // C: local Monday 00:30; acknowledged after 2 min, not resolved, no resolve deadline.
  { key: 'C', source: 'manual', category: 'flooding', severity: 'warning', state: 'acknowledged', area: 'go-cong-dong', created: '2026-11-29T17:30:00Z', ackS: 120, ackDueS: 1800 },
  // D: local Sunday 23:30, the first week; a citizen's report acknowledged after 3 min, resolved after 2 h.
  { key: 'D', source: 'citizen', category: 'fallen_tree', severity: 'warning', state: 'resolved', area: 'my-tho', created: '2026-11-29T16:30:00Z', ackS: 180, resolveS: 7200, ackDueS: 1800, resolveDueS: 86_400 },
  // E: nobody acknowledged it: the deadline breached.
  { key: 'E', source: 'rule', category: null, severity: 'warning', state: 'open', area: 'go-cong-dong', created: '2026-12-01T01:00:00Z', ackDueS: 1800, ackBreached: true },
  // H: local 1 December 00:30; info, no deadlines.
  { key: 'H', source: 'manual', category: 'pollution', severity: 'info', state: 'open', area: 'my-tho', created: '2026-11-30T17:30:00Z' },
  // M: a citizen's report of the same fallen tree, merged into D: counted on D, not on its own.
  { key: 'M', source: 'citizen', category: 'fallen_tree', severity: 'warning', state: 'closed', area: 'my-tho', created: '2026-11-29T16:40:00Z', mergedInto: 'D' },
  // F: after the range.
  { key: 'F', source: 'rule', category: 'salinity', severity: 'critical', state: 'open', area: 'my-tho', created: '2026-12-08T00:00:00Z', ackDueS: 300 },
] as const;

type Fixture = (typeof FIXTURE)[number];
const at = (f: Fixture, s: number | undefined) => (s === undefined ? null : new Date(Date.parse(f.created) + s * 1000));

const row = (periodStart: string, over: Partial<IncidentStatisticsRowDto>): IncidentStatisticsRowDto => ({
  periodStart,
  incidents: 0,
  acknowledged: 0,
  resolved: 0,
  timeToAcknowledgeS: { p50: null, p90: null },
  timeToResolveS: { p50: null, p90: null },
  acknowledgeDeadline: { met: 0, breached: 0 },
  resolveDeadline: { met: 0, breached: 0 },
  satisfaction: { ratings: 0, average: null },
  ...over,
});

describe('incident statistics per week and month, in Asia/Ho_Chi_Minh', () => {
  let server: TestServer;
  let supervisor: string;
  const get = <T>(query: string, token = supervisor) => api<T>(server.baseUrl, 'GET', `/api/statistics/incidents?${query}`, undefined, token);

  beforeAll(async () => {
    // No sweep during the test: the fixture's breaches are as written.
    server = await startTestServer({ INCIDENT_DEADLINE_SWEEP_MS: '60000' });
    supervisor = (await server.session('supervisor')).accessToken;
    const ids = new Map<string, number>();
    for (const f of FIXTURE) {
      const ackDue = 'ackDueS' in f ? f.ackDueS : undefined;
      const resolveDue = 'resolveDueS' in f ? f.resolveDueS : undefined;
      const { rows } = await server.pool.query<{ id: string }>(
        `INSERT INTO incidents (source, category, severity, title, state, lat, lng, area_ids, opened_at, created_at, alert_active,
                                acknowledged_at, resolved_at, acknowledge_due_at, resolve_due_at, acknowledge_breached_at, resolve_breached_at,
                                merged_into_id)
         VALUES ($1, $2, $3, $4, $5, 10.36, 106.36, $6, $7, $7, false, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id`,
        [
          f.source,
          f.category,
          f.severity,
          `Sự cố ${f.key}`,
          f.state,
          ['tien-giang', f.area],
          f.created,
          at(f, 'ackS' in f ? f.ackS : undefined),
          at(f, 'resolveS' in f ? f.resolveS : undefined),
          at(f, ackDue),
          at(f, resolveDue),
          'ackBreached' in f ? at(f, ackDue) : null,
          'resolveBreached' in f ? at(f, resolveDue) : null,
          'mergedInto' in f ? ids.get(f.mergedInto) : null,
        ],
      );
      ids.set(f.key, Number(rows[0].id));
    }
    // The citizens behind D and M both rated the work done on D: 4 and 2.
    for (const [key, code, rating] of [['D', 'D000000001', 4], ['M', 'M000000001', 2]] as const) {
      await server.pool.query(
        `INSERT INTO citizen_reports (code, incident_id, sender_hash, rating, rated_at, rated_incident_id) VALUES ($1, $2, '\\x00', $3, now(), $4)`,
        [code, ids.get(key), rating, ids.get('D')],
      );
    }
  });

  afterAll(() => server?.close());

  it('counts, times and holds to deadlines per week, weeks starting on Monday, empty weeks included', async () => {
    const { status, body } = await get<IncidentStatisticsDto>('period=week&from=2026-11-16&to=2026-12-06');
    expect(status).toBe(200);
    expect(body).toMatchObject({ period: 'week', timeZone: 'Asia/Ho_Chi_Minh', areaId: null });
    expect(body.totals).toEqual([
      row('2026-11-16', {}),
      // A, B, D: acknowledged after 60, 600, 180 s; resolved after 3600, 20000, 7200 s.
      row('2026-11-23', {
        incidents: 3,
        acknowledged: 3,
        resolved: 3,
        timeToAcknowledgeS: { p50: 180, p90: 516 },
        timeToResolveS: { p50: 7200, p90: 17_440 },
        acknowledgeDeadline: { met: 2, breached: 1 },
        resolveDeadline: { met: 2, breached: 1 },
        satisfaction: { ratings: 2, average: 3 },
      }),
      // C, E, H.
      row('2026-11-30', {
        incidents: 3,
        acknowledged: 1,
        timeToAcknowledgeS: { p50: 120, p90: 120 },
        acknowledgeDeadline: { met: 1, breached: 1 },
      }),
    ]);
    const first = body.breakdown
      .filter((r) => r.periodStart === '2026-11-23')
      .map((r) => [r.source, r.category, r.incidents, r.timeToAcknowledgeS, r.satisfaction]);
    expect(first).toEqual([
      ['citizen', 'fallen_tree', 1, { p50: 180, p90: 180 }, { ratings: 2, average: 3 }],
      ['rule', 'salinity', 2, { p50: 330, p90: 546 }, { ratings: 0, average: null }],
    ]);
    expect(body.breakdown.filter((r) => r.periodStart === '2026-11-30').map((r) => [r.source, r.category])).toEqual([
      ['manual', 'flooding'],
      ['manual', 'pollution'],
      ['rule', null],
    ]);
  });

  it('per month, by the local calendar, and narrowed to one area', async () => {
    const months = (await get<IncidentStatisticsDto>('period=month&from=2026-11-23&to=2026-12-06')).body.totals;
    expect(months.map((r) => [r.periodStart, r.incidents, r.timeToAcknowledgeS, r.acknowledgeDeadline])).toEqual([
      // A, B, C, D: acknowledged after 60, 600, 120, 180 s.
      ['2026-11-01', 4, { p50: 150, p90: 474 }, { met: 3, breached: 1 }],
      ['2026-12-01', 2, { p50: null, p90: null }, { met: 0, breached: 1 }],
    ]);
    const myTho = (await get<IncidentStatisticsDto>('period=week&from=2026-11-23&to=2026-12-06&areaId=my-tho')).body.totals;
    expect(myTho.map((r) => [r.periodStart, r.incidents, r.acknowledged])).toEqual([
      ['2026-11-23', 3, 3],
      ['2026-11-30', 1, 0],
    ]);
  });

  it('answers CSV, one line per period for all incidents, then per source and category', async () => {
    const res = await fetch(`${server.baseUrl}/api/statistics/incidents?period=week&from=2026-11-23&to=2026-11-29&format=csv`, {
      headers: { authorization: `Bearer ${supervisor}` },
    });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const [header, ...lines] = parseCsv(await res.text());
    expect(header.slice(0, 6)).toEqual(['period_start', 'source', 'category', 'incidents', 'acknowledged', 'resolved']);
    expect(lines[0]).toEqual(['2026-11-23', 'all', '', '3', '3', '3', '180', '516', '7200', '17440', '2', '1', '2', '1', '2', '3']);
    expect(lines.slice(1).map((l) => l.slice(0, 4))).toEqual([
      ['2026-11-23', 'citizen', 'fallen_tree', '1'],
      ['2026-11-23', 'rule', 'salinity', '2'],
    ]);
  });

  it('answers 400 naming the field for a bad range, and 403 to field users', async () => {
    const cases: [string, string][] = [
      ['period=week&from=2026-12-10&to=2026-12-01', 'to: must not be before from'],
      ['period=day&from=2026-12-01&to=2026-12-02', 'period'],
      ['from=2026-02-30&to=2026-03-02', 'from: must be a real date'],
      ['from=2025-01-01&to=2026-12-31', 'to: at most 400 days after from'],
      ['to=2026-12-01', 'from'],
    ];
    for (const [query, message] of cases) {
      const answer = await get<ApiErrorBody>(query);
      expect([answer.status, answer.body.message]).toEqual([400, expect.stringContaining(message)]);
    }
    const field = (await server.session('field')).accessToken;
    expect((await get('from=2026-12-01&to=2026-12-02', field)).status).toBe(403);
  });
});

import type { IncidentTimelineEntryDto } from '@ioc/contracts';
import { entryFixture, incidentFixture } from '../../../../test/support/incidents';
import type { IncidentChangeInput } from '../incident-change';
import { dedupKey, describeChange, eventOf, renderAlertmanager, renderPagerDuty, requestBody } from './webhook-payloads';

/** The fields the renderers read; an incident's other fields do not change what is sent. */
const INCIDENT = incidentFixture({
  id: 42,
  ruleId: 7,
  ruleVersion: 3,
  alertId: 900,
  deviceId: 'mt-sal-01',
  deviceIds: ['mt-sal-01'],
  areaIds: ['tien-giang', 'my-tho'],
  severity: 'critical',
  title: 'Độ mặn vượt 4 ‰ · Trạm đo mặn Mỹ Tho 01',
  openedAt: '2026-03-01T01:00:00.000Z',
  updatedAt: '2026-03-01T01:00:00.100Z',
});

const entry = (step: IncidentTimelineEntryDto['step'], extra: Partial<IncidentTimelineEntryDto> = {}) =>
  entryFixture(step, { at: '2026-03-01T01:00:00.100Z', ...extra });

const opened: IncidentChangeInput = { incident: INCIDENT, entry: entry('opened', { alertId: 900, deviceId: 'mt-sal-01', value: 5.2 }) };
const acknowledged: IncidentChangeInput = {
  incident: { ...INCIDENT, state: 'acknowledged', acknowledgedAt: '2026-03-01T01:05:00.000Z', acknowledgedBy: 'canbotruc' },
  entry: entry('acknowledged', { at: '2026-03-01T01:05:00.000Z', actor: { id: 3, username: 'canbotruc' } }),
};
const resolved: IncidentChangeInput = {
  incident: { ...INCIDENT, state: 'resolved', resolvedAt: '2026-03-01T02:00:00.000Z', resolvedBy: 'hientruong' },
  entry: entry('resolved', { at: '2026-03-01T02:00:00.000Z', actor: { id: 4, username: 'hientruong' }, note: 'Đã đóng cống' }),
};

describe('which steps are sent', () => {
  it('sends opened and reopened as trigger, acknowledged as acknowledge, resolved as resolve', () => {
    expect(eventOf(entry('opened'))).toBe('trigger');
    expect(eventOf(entry('reopened'))).toBe('trigger');
    expect(eventOf(entry('acknowledged'))).toBe('acknowledge');
    expect(eventOf(entry('resolved'))).toBe('resolve');
    expect(eventOf(entry('rejected'))).toBe('resolve');
    expect(eventOf(entry('merged'))).toBe('resolve');
  });

  it('sends no other step, closed included (a closed incident was resolved first)', () => {
    for (const step of ['alert_opened', 'device_joined', 'device_left', 'alert_resolved', 'dispatched', 'on_site', 'closed', 'comment', 'escalated'] as const) {
      expect(eventOf(entry(step))).toBeNull();
    }
  });
});

describe('PagerDuty Events API v2', () => {
  it('triggers with a summary, the device as source, the mapped severity and the details', () => {
    expect(renderPagerDuty(opened, 'trigger')).toEqual({
      event_action: 'trigger',
      dedup_key: 'ioc-incident-42',
      payload: {
        summary: INCIDENT.title,
        source: 'mt-sal-01',
        severity: 'critical',
        timestamp: INCIDENT.openedAt,
        group: 'tien-giang',
        class: 'rule-7',
        custom_details: expect.objectContaining({
          incident_id: 42,
          step: 'opened',
          device_ids: ['mt-sal-01'],
          area_ids: ['tien-giang', 'my-tho'],
          value: 5.2,
          description_en: `Incident 42 opened (critical): ${INCIDENT.title}`,
          description_vi: `Sự cố 42 (nghiêm trọng): ${INCIDENT.title}`,
        }),
      },
      client: 'ioc',
    });
  });

  it('acknowledges and resolves with the same dedup_key and nothing else', () => {
    expect(renderPagerDuty(acknowledged, 'acknowledge')).toEqual({ event_action: 'acknowledge', dedup_key: 'ioc-incident-42' });
    expect(renderPagerDuty(resolved, 'resolve')).toEqual({ event_action: 'resolve', dedup_key: 'ioc-incident-42' });
  });

  it('maps warning and info to themselves and keeps the summary within 1024 characters', () => {
    const long = { ...opened, incident: { ...INCIDENT, severity: 'info' as const, title: 'x'.repeat(2000) } };
    const payload = renderPagerDuty(long, 'trigger').payload as { severity: string; summary: string };
    expect(payload.severity).toBe('info');
    expect(payload.summary).toHaveLength(1024);
    const warning = renderPagerDuty({ ...opened, incident: { ...INCIDENT, severity: 'warning' } }, 'trigger').payload as { severity: string };
    expect(warning.severity).toBe('warning');
  });

  it('puts the routing key in the body only when sent, and only for PagerDuty', () => {
    const payload = renderPagerDuty(acknowledged, 'acknowledge');
    expect(JSON.parse(requestBody('pagerduty', payload, 'R0UT1NGKEY'))).toEqual({ routing_key: 'R0UT1NGKEY', ...payload });
    expect(JSON.parse(requestBody('pagerduty', payload, null))).toEqual(payload);
    expect(JSON.parse(requestBody('alertmanager', { version: '4' }, 'R0UT1NGKEY'))).toEqual({ version: '4' });
  });
});

describe('Alertmanager webhook, version 4', () => {
  it('fires one alert labelled by the incident', () => {
    const body = renderAlertmanager(opened, 'trigger');
    const labels = {
      alertname: INCIDENT.title,
      severity: 'critical',
      incident_id: '42',
      dedup_key: 'ioc-incident-42',
      device_id: 'mt-sal-01',
      area_ids: 'tien-giang,my-tho',
      source: 'rule',
      category: 'salinity',
      rule_id: '7',
    };
    expect(body).toMatchObject({
      version: '4',
      groupKey: 'ioc-incident-42',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'ioc',
      groupLabels: { incident_id: '42' },
      commonLabels: labels,
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: INCIDENT.title, ioc_event: 'trigger', ioc_step: 'opened', state: 'open' },
          startsAt: INCIDENT.openedAt,
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        },
      ],
    });
  });

  it('keeps labels and fingerprint across events; acknowledge still fires, resolve ends the alert', () => {
    const [first, ack, done] = [renderAlertmanager(opened, 'trigger'), renderAlertmanager(acknowledged, 'acknowledge'), renderAlertmanager(resolved, 'resolve')].map(
      (b) => (b.alerts as { status: string; labels: unknown; fingerprint: string; endsAt: string; annotations: Record<string, string> }[])[0],
    );
    expect(ack.labels).toEqual(first.labels);
    expect(done.labels).toEqual(first.labels);
    expect(new Set([first.fingerprint, ack.fingerprint, done.fingerprint]).size).toBe(1);
    expect(ack).toMatchObject({ status: 'firing', annotations: { ioc_event: 'acknowledge', actor: 'canbotruc' } });
    expect(done).toMatchObject({ status: 'resolved', endsAt: '2026-03-01T02:00:00.000Z', annotations: { ioc_event: 'resolve', note: 'Đã đóng cống' } });
  });

  it('sends what people reported of an incident without a device, never their phone number', () => {
    const reported: IncidentChangeInput = {
      incident: {
        ...INCIDENT,
        ruleId: null,
        ruleVersion: null,
        alertId: null,
        source: 'citizen',
        category: 'flooding',
        description: 'Nước ngập đường Ấp Bắc',
        location: { lat: 10.36, lng: 106.36 },
        reporterPhone: '0901234567',
        deviceId: null,
        deviceIds: [],
        areaIds: ['tien-giang', 'my-tho'],
      },
      entry: entry('opened'),
    };
    const pd = renderPagerDuty(reported, 'trigger').payload as { source: string; custom_details: Record<string, unknown> };
    expect(pd.source).toBe('tien-giang');
    expect(pd.custom_details).toMatchObject({ source: 'citizen', category: 'flooding', description: 'Nước ngập đường Ấp Bắc', location: { lat: 10.36, lng: 106.36 } });
    const am = renderAlertmanager(reported, 'trigger');
    expect(am.commonLabels).toMatchObject({ source: 'citizen', category: 'flooding' });
    expect(am.commonLabels).not.toHaveProperty('device_id');
    expect(am.commonAnnotations).toMatchObject({ reported: 'Nước ngập đường Ấp Bắc' });
    expect(JSON.stringify([pd, am])).not.toContain('0901234567');
  });

  it('names an area-grouped incident by its area', () => {
    const grouped = renderAlertmanager({ ...opened, incident: { ...INCIDENT, groupAreaId: 'my-tho-phuong-10' } }, 'trigger');
    expect((grouped.commonLabels as Record<string, string>).group_area_id).toBe('my-tho-phuong-10');
  });
});

describe('texts', () => {
  it('says who did it, in Vietnamese and English', () => {
    expect(describeChange(acknowledged)).toEqual({ vi: 'Sự cố 42 đã được canbotruc tiếp nhận', en: 'Incident 42 acknowledged by canbotruc' });
    expect(describeChange(resolved)).toEqual({
      vi: 'Sự cố 42 đã được hientruong xử lý xong: Đã đóng cống',
      en: 'Incident 42 resolved by hientruong: Đã đóng cống',
    });
    expect(dedupKey(7)).toBe('ioc-incident-7');
  });
});

import { createHash } from 'node:crypto';
import { WEBHOOK_EVENT_OF_STEP, type IncidentTimelineEntryDto, type Severity, type WebhookEvent, type WebhookFormat } from '@ioc/contracts';
import type { IncidentChangeInput } from '../incident-change';

export type WebhookBody = Record<string, unknown>;

/** The same for every event of an incident: PagerDuty folds them into one incident, Alertmanager into one alert. */
export const dedupKey = (incidentId: number) => `ioc-incident-${incidentId}`;

/** The webhook event a step makes; null: the step is not sent. */
export const eventOf = (entry: IncidentTimelineEntryDto): WebhookEvent | null => WEBHOOK_EVENT_OF_STEP[entry.step] ?? null;

const SEVERITY_VI: Record<Severity, string> = { critical: 'nghiêm trọng', warning: 'cảnh báo', info: 'thông tin' };
/** PagerDuty knows critical, error, warning and info. */
const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = { critical: 'critical', warning: 'warning', info: 'info' };
/** PagerDuty refuses a longer summary. */
const SUMMARY_MAX = 1024;
/** Alertmanager's zero time: an alert still firing. */
const NOT_ENDED = '0001-01-01T00:00:00Z';

/** One sentence in Vietnamese and one in English about the step. */
export function describeChange({ incident: i, entry: e }: IncidentChangeInput): { vi: string; en: string } {
  const by = e.actor?.username;
  const note = e.note ? `: ${e.note}` : '';
  switch (e.step) {
    case 'opened':
      return {
        vi: `Sự cố ${i.id} (${SEVERITY_VI[i.severity]}): ${i.title}`,
        en: `Incident ${i.id} opened (${i.severity}): ${i.title}`,
      };
    case 'reopened':
      return {
        vi: `Sự cố ${i.id} mở lại (${SEVERITY_VI[i.severity]}): ${i.title}`,
        en: `Incident ${i.id} reopened (${i.severity}): ${i.title}`,
      };
    case 'acknowledged':
      return {
        vi: `Sự cố ${i.id} đã được ${by ?? 'hệ thống'} tiếp nhận${note}`,
        en: `Incident ${i.id} acknowledged by ${by ?? 'the system'}${note}`,
      };
    case 'resolved':
      return {
        vi: `Sự cố ${i.id} đã được ${by ?? 'hệ thống'} xử lý xong${note}`,
        en: `Incident ${i.id} resolved by ${by ?? 'the system'}${note}`,
      };
    default:
      return { vi: `Sự cố ${i.id}: ${e.step}`, en: `Incident ${i.id}: ${e.step}` };
  }
}

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/), without
 * `routing_key`, which is the subscription's and added as the request is sent.
 */
export function renderPagerDuty(change: IncidentChangeInput, event: WebhookEvent): WebhookBody {
  const { incident: i, entry: e } = change;
  const base = { event_action: event, dedup_key: dedupKey(i.id) };
  // Acknowledge and resolve carry nothing but the key.
  if (event !== 'trigger') return base;
  const text = describeChange(change);
  const group = i.groupAreaId ?? i.areaIds[0];
  return {
    ...base,
    payload: {
      summary: i.title.length > SUMMARY_MAX ? `${i.title.slice(0, SUMMARY_MAX - 1)}…` : i.title,
      // PagerDuty requires a source: the device, or for an incident people reported its area.
      source: i.deviceId ?? i.areaIds[0] ?? `ioc-${i.source}`,
      severity: PAGERDUTY_SEVERITY[i.severity],
      timestamp: e.step === 'opened' ? i.openedAt : e.at,
      ...(group !== undefined && { group }),
      ...(i.ruleId !== null && { class: `rule-${i.ruleId}` }),
      custom_details: {
        incident_id: i.id,
        step: e.step,
        state: i.state,
        severity: i.severity,
        source: i.source,
        category: i.category,
        description: i.description,
        location: i.location,
        device_ids: i.deviceIds,
        area_ids: i.areaIds,
        rule_id: i.ruleId,
        rule_version: i.ruleVersion,
        value: e.value,
        description_vi: text.vi,
        description_en: text.en,
      },
    },
    client: 'ioc',
  };
}

/**
 * Alertmanager's webhook body, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config):
 * one alert per incident, labelled the same on every event. Alertmanager has no acknowledgement,
 * so acknowledge is a `firing` repeat whose `ioc_event` annotation says so.
 */
export function renderAlertmanager(change: IncidentChangeInput, event: WebhookEvent): WebhookBody {
  const { incident: i, entry: e } = change;
  const text = describeChange(change);
  const status = event === 'resolve' ? 'resolved' : 'firing';
  const labels: Record<string, string> = {
    alertname: i.title,
    severity: i.severity,
    incident_id: String(i.id),
    dedup_key: dedupKey(i.id),
    ...(i.deviceId !== null && { device_id: i.deviceId }),
    area_ids: i.areaIds.join(','),
    source: i.source,
    ...(i.category !== null && { category: i.category }),
    ...(i.groupAreaId !== null && { group_area_id: i.groupAreaId }),
    ...(i.ruleId !== null && { rule_id: String(i.ruleId) }),
  };
  const annotations: Record<string, string> = {
    summary: i.title,
    description: text.en,
    description_vi: text.vi,
    ioc_event: event,
    ioc_step: e.step,
    state: i.state,
    ...(e.actor && { actor: e.actor.username }),
    ...(e.note !== null && { note: e.note }),
    ...(i.description !== null && { reported: i.description }),
  };
  return {
    version: '4',
    groupKey: dedupKey(i.id),
    truncatedAlerts: 0,
    status,
    receiver: 'ioc',
    groupLabels: { incident_id: String(i.id) },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: i.openedAt,
        endsAt: event === 'resolve' ? (i.resolvedAt ?? e.at) : NOT_ENDED,
        generatorURL: '',
        fingerprint: createHash('sha256').update(dedupKey(i.id)).digest('hex').slice(0, 16),
      },
    ],
  };
}

export const RENDERERS: Record<WebhookFormat, (change: IncidentChangeInput, event: WebhookEvent) => WebhookBody> = {
  pagerduty: renderPagerDuty,
  alertmanager: renderAlertmanager,
};

/** The request body of a delivery: PagerDuty's needs the subscription's routing key. */
export function requestBody(format: WebhookFormat, payload: WebhookBody, routingKey: string | null): string {
  return JSON.stringify(format === 'pagerduty' && routingKey !== null ? { routing_key: routingKey, ...payload } : payload);
}

import type { IncidentCategory, IncidentSource, IncidentState, IncidentStep, Role, Severity } from '@ioc/contracts';
import type { IncidentChangeInput } from '../incident-change';

/** One email, as sent to every recipient of a change. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export interface EmailContext {
  /** The console as people reach it (CONSOLE_URL). */
  consoleUrl: string;
  /** The names of the incident's areas, most precise first; empty: not known. */
  areaNames: string[];
}

const TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** A subject stays on one line of a mail client. */
const SUBJECT_MAX = 200;

const SEVERITY: Record<Severity, { vi: string; en: string }> = {
  critical: { vi: 'Nghiêm trọng', en: 'Critical' },
  warning: { vi: 'Cảnh báo', en: 'Warning' },
  info: { vi: 'Thông tin', en: 'Info' },
};

const STATE: Record<IncidentState, { vi: string; en: string }> = {
  open: { vi: 'Chưa tiếp nhận', en: 'Open' },
  acknowledged: { vi: 'Đã tiếp nhận', en: 'Acknowledged' },
  dispatched: { vi: 'Đã giao xử lý', en: 'Dispatched' },
  resolved: { vi: 'Đã xử lý', en: 'Resolved' },
  closed: { vi: 'Đã đóng', en: 'Closed' },
};

const SOURCE: Record<IncidentSource, { vi: string; en: string }> = {
  rule: { vi: 'Quy tắc cảnh báo', en: 'Alert rule' },
  citizen: { vi: 'Phản ánh hiện trường', en: 'Citizen field report' },
  manual: { vi: 'Cán bộ trực ghi nhận', en: 'Taken by an operator' },
};

const CATEGORY: Record<IncidentCategory, { vi: string; en: string }> = {
  flooding: { vi: 'Ngập úng', en: 'Flooding' },
  fallen_tree: { vi: 'Cây đổ', en: 'Fallen tree' },
  broken_street_light: { vi: 'Hỏng đèn chiếu sáng công cộng', en: 'Broken street light' },
  traffic_accident: { vi: 'Tai nạn giao thông', en: 'Traffic accident' },
  pollution: { vi: 'Ô nhiễm môi trường', en: 'Pollution' },
  illegal_dumping: { vi: 'Đổ rác, xả thải trái phép', en: 'Illegal dumping' },
  other: { vi: 'Khác', en: 'Other' },
  salinity: { vi: 'Xâm nhập mặn', en: 'Salinity intrusion' },
  air_quality: { vi: 'Chất lượng không khí', en: 'Air quality' },
  device_fault: { vi: 'Lỗi thiết bị', en: 'Device fault' },
};

const ROLE: Record<Role, { vi: string; en: string }> = {
  admin: { vi: 'Quản trị hệ thống', en: 'administrators' },
  supervisor: { vi: 'Trưởng ca', en: 'supervisors' },
  operator: { vi: 'Cán bộ trực', en: 'operators' },
  field: { vi: 'Tổ xử lý hiện trường', en: 'field teams' },
  viewer: { vi: 'Người xem', en: 'viewers' },
};

/** What happened, as the subject and the first line say it. */
const HEADLINE: Partial<Record<IncidentStep, { vi: string; en: string }>> = {
  opened: { vi: 'Sự cố mới', en: 'New incident' },
  reopened: { vi: 'Sự cố mở lại', en: 'Incident reopened' },
  acknowledged: { vi: 'Đã tiếp nhận', en: 'Acknowledged' },
  dispatched: { vi: 'Giao xử lý', en: 'Dispatched' },
  on_site: { vi: 'Đã đến hiện trường', en: 'Field team on site' },
  resolved: { vi: 'Đã xử lý', en: 'Resolved' },
  closed: { vi: 'Đã đóng', en: 'Closed' },
  comment: { vi: 'Ghi chú mới', en: 'New note' },
  escalated: { vi: 'Đã chuyển cấp', en: 'Escalated' },
  rejected: { vi: 'Đã từ chối phản ánh', en: 'Report rejected' },
  merged: { vi: 'Đã gộp vào sự cố khác', en: 'Merged into another incident' },
};

function headline({ entry: e }: IncidentChangeInput): { vi: string; en: string } {
  if (e.step === 'deadline_breached') {
    return e.deadline === 'resolve' ? { vi: 'Quá hạn xử lý', en: 'Resolve deadline breached' } : { vi: 'Quá hạn tiếp nhận', en: 'Acknowledge deadline breached' };
  }
  return HEADLINE[e.step] ?? { vi: 'Cập nhật sự cố', en: 'Incident updated' };
}

const PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** dd/MM/yyyy HH:mm in Asia/Ho_Chi_Minh, as operators write times. */
export function formatVietnamTime(iso: string): string {
  const p = Object.fromEntries(PARTS.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

const VI_NUMBER = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 3 });

/** Text from people, on one line: a title cannot break a header or a list. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Line {
  vi: string;
  en: string;
  value: string;
  /** The value in English where it is ours to say (a severity, a state); people's words stay as written. */
  valueEn: string;
  /** People's own words (a note, a description): said once, in the Vietnamese part. */
  words: boolean;
}

/** The facts of the change and of the incident, each labelled in both languages. Never the reporter's phone number. */
function factsOf({ incident: i, entry: e }: IncidentChangeInput, ctx: EmailContext): Line[] {
  const lines: Line[] = [];
  const add = (vi: string, en: string, value: string | null | undefined, valueEn = value, words = false) => {
    if (value !== null && value !== undefined && value !== '') lines.push({ vi, en, value, valueEn: valueEn ?? value, words });
  };
  const both = <T extends { vi: string; en: string }>(vi: string, en: string, label: T) => add(vi, en, label.vi, label.en);
  add('Thời điểm', 'At', formatVietnamTime(e.at));
  add('Người thực hiện', 'By', e.actor?.username);
  if (e.step === 'dispatched') add('Giao cho', 'Dispatched to', e.teamName);
  if (e.step === 'escalated') {
    add('Cấp chuyển', 'Escalation level', e.level === null ? null : String(e.level));
    add('Thông báo', 'Told', e.notifyRoles?.map((r) => ROLE[r].vi).join(', '), e.notifyRoles?.map((r) => ROLE[r].en).join(', '));
  }
  if (e.step === 'merged') add('Gộp vào', 'Merged into', e.relatedIncidentId === null ? null : `Sự cố #${e.relatedIncidentId}`, `incident #${e.relatedIncidentId}`);
  add('Ghi chú', 'Note', e.note === null ? null : oneLine(e.note), undefined, true);
  both('Mức độ', 'Severity', SEVERITY[i.severity]);
  both('Trạng thái', 'State', STATE[i.state]);
  both('Nguồn', 'Source', SOURCE[i.source]);
  if (i.category !== null) both('Loại', 'Category', CATEGORY[i.category]);
  add('Khu vực', 'Area', ctx.areaNames.join(', '));
  add('Thiết bị', 'Device', i.deviceIds.join(', '));
  add('Giá trị đo', 'Value', e.value === null ? null : VI_NUMBER.format(e.value), e.value === null ? null : String(e.value));
  add('Mô tả', 'Description', i.description === null ? null : oneLine(i.description), undefined, true);
  if (e.step !== 'dispatched') add('Tổ xử lý hiện trường', 'Field team', i.teamName);
  if (i.acknowledgedAt === null) add('Thời hạn tiếp nhận', 'Acknowledge by', i.acknowledgeDueAt && formatVietnamTime(i.acknowledgeDueAt));
  if (i.resolvedAt === null) add('Thời hạn xử lý', 'Resolve by', i.resolveDueAt && formatVietnamTime(i.resolveDueAt));
  return lines;
}

/**
 * The email of an incident change, in Vietnamese with English below: the subject says the
 * severity, what happened and the title; the body the facts, due times in Asia/Ho_Chi_Minh and a
 * link to the console. Plain text and simple HTML with the same content.
 */
export function renderEmail(change: IncidentChangeInput, ctx: EmailContext): EmailMessage {
  const { incident: i } = change;
  const what = headline(change);
  const severity = SEVERITY[i.severity];
  const title = oneLine(i.title);
  const subject = `[IOC] ${severity.vi} · ${what.vi}: ${title}`;
  const link = `${ctx.consoleUrl.replace(/\/+$/, '')}/?incident=${i.id}`;
  const facts = factsOf(change, ctx);

  const text = [
    `${what.vi}: ${title}`,
    `Sự cố #${i.id}`,
    '',
    ...facts.map((l) => `${l.vi}: ${l.value}`),
    '',
    `Xem trên hệ thống: ${link}`,
    '',
    '---',
    `${what.en}: ${title} (incident #${i.id})`,
    ...facts.filter((l) => !l.words).map((l) => `${l.en}: ${l.valueEn}`),
    `Open in the console: ${link}`,
    '',
    'Thư gửi tự động từ Trung tâm Giám sát, điều hành đô thị thông minh (IOC). Sent automatically by the IOC.',
  ].join('\n');

  const row = (label: string, value: string) =>
    `<tr><th align="left" style="padding:2px 12px 2px 0;font-weight:normal;color:#555">${escapeHtml(label)}</th><td style="padding:2px 0">${escapeHtml(value)}</td></tr>`;
  const html = [
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body style="font-family:Arial,sans-serif;font-size:14px;color:#222">',
    `<h2 style="margin:0 0 4px">${escapeHtml(what.vi)}: ${escapeHtml(title)}</h2>`,
    `<p style="margin:0 0 12px;color:#555">Sự cố #${i.id} · ${escapeHtml(severity.vi)}</p>`,
    `<table>${facts.map((l) => row(l.vi, l.value)).join('')}</table>`,
    `<p><a href="${escapeHtml(link)}">Xem trên hệ thống</a></p>`,
    '<hr>',
    `<p lang="en" style="color:#555">${escapeHtml(what.en)}: ${escapeHtml(title)} (incident #${i.id}). <a href="${escapeHtml(link)}">Open in the console</a>.</p>`,
    '<p style="color:#888;font-size:12px">Thư gửi tự động từ Trung tâm Giám sát, điều hành đô thị thông minh (IOC).</p>',
    '</body></html>',
  ].join('\n');

  return { subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1)}…` : subject, text, html };
}

import type { IncidentDto } from '@ioc/contracts';
import { entryFixture, incidentFixture } from '../../../../test/support/incidents';
import type { IncidentChangeInput } from '../incident-change';
import { formatVietnamTime, renderEmail } from './email-message';

/** A hotline call: what people said, where, and a number to call back that no email may carry. */
const INCIDENT = incidentFixture({
  id: 42,
  ruleId: null,
  ruleVersion: null,
  alertId: null,
  source: 'manual',
  category: 'flooding',
  description: 'Nước ngập 40 cm\ntrước chợ <Mỹ Tho>',
  location: { lat: 10.36, lng: 106.36 },
  reporterPhone: '0912345678',
  createdBy: 'canbotruc',
  deviceId: null,
  deviceIds: [],
  areaIds: ['phuong-10', 'my-tho'],
  severity: 'critical',
  title: 'Ngập sâu đường Ấp Bắc',
  alertActive: false,
  // 23/11/2026 14:05 and 18:00 in Asia/Ho_Chi_Minh.
  acknowledgeDueAt: '2026-11-23T07:05:00.000Z',
  resolveDueAt: '2026-11-23T11:00:00.000Z',
});

const entry = entryFixture;

const CTX = { consoleUrl: 'https://ioc.tiengiang.gov.vn/', areaNames: ['Phường 10', 'Thành phố Mỹ Tho'] };
const opened: IncidentChangeInput = { incident: INCIDENT, entry: entry('opened', { actor: { id: 3, username: 'canbotruc' } }) };

describe('incident emails', () => {
  it('says the severity, what happened and the title in the subject, in Vietnamese', () => {
    expect(renderEmail(opened, CTX).subject).toBe('[IOC] Nghiêm trọng · Sự cố mới: Ngập sâu đường Ấp Bắc');
    const cases: [IncidentChangeInput, string][] = [
      [{ incident: { ...INCIDENT, severity: 'warning' }, entry: entry('reopened') }, '[IOC] Cảnh báo · Sự cố mở lại: '],
      [{ incident: INCIDENT, entry: entry('acknowledged') }, '[IOC] Nghiêm trọng · Đã tiếp nhận: '],
      [{ incident: INCIDENT, entry: entry('dispatched', { teamId: 2, teamName: 'Tổ Mỹ Tho' }) }, '[IOC] Nghiêm trọng · Giao xử lý: '],
      [{ incident: INCIDENT, entry: entry('deadline_breached', { deadline: 'acknowledge' }) }, '[IOC] Nghiêm trọng · Quá hạn tiếp nhận: '],
      [{ incident: INCIDENT, entry: entry('deadline_breached', { deadline: 'resolve' }) }, '[IOC] Nghiêm trọng · Quá hạn xử lý: '],
      [{ incident: { ...INCIDENT, severity: 'info' }, entry: entry('escalated', { level: 1, notifyRoles: ['supervisor'] }) }, '[IOC] Thông tin · Đã chuyển cấp: '],
      [{ incident: INCIDENT, entry: entry('resolved') }, '[IOC] Nghiêm trọng · Đã xử lý: '],
      [{ incident: INCIDENT, entry: entry('rejected', { note: 'Không đúng địa điểm' }) }, '[IOC] Nghiêm trọng · Đã từ chối phản ánh: '],
      [{ incident: INCIDENT, entry: entry('merged', { relatedIncidentId: 40 }) }, '[IOC] Nghiêm trọng · Đã gộp vào sự cố khác: '],
    ];
    for (const [change, start] of cases) expect(renderEmail(change, CTX).subject).toBe(`${start}Ngập sâu đường Ấp Bắc`);
  });

  it('keeps a title on one line and a subject short', () => {
    const long = { ...INCIDENT, title: `Cây đổ\r\nBcc: x@example.com ${'chắn đường '.repeat(40)}` };
    const { subject } = renderEmail({ incident: long, entry: entry('opened') }, CTX);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toContain('Cây đổ Bcc: x@example.com');
    expect(subject.length).toBe(200);
    expect(subject.endsWith('…')).toBe(true);
  });

  it('gives the facts with due times in Asia/Ho_Chi_Minh, the areas and a link to the console, Vietnamese first', () => {
    const { text } = renderEmail(opened, CTX);
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Sự cố mới: Ngập sâu đường Ấp Bắc', 'Sự cố #42']);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Thời điểm: 23/11/2026 14:00',
        'Người thực hiện: canbotruc',
        'Mức độ: Nghiêm trọng',
        'Trạng thái: Chưa tiếp nhận',
        'Nguồn: Cán bộ trực ghi nhận',
        'Loại: Ngập úng',
        'Khu vực: Phường 10, Thành phố Mỹ Tho',
        'Mô tả: Nước ngập 40 cm trước chợ <Mỹ Tho>',
        'Thời hạn tiếp nhận: 23/11/2026 14:05',
        'Thời hạn xử lý: 23/11/2026 18:00',
        'Xem trên hệ thống: https://ioc.tiengiang.gov.vn/?incident=42',
        'New incident: Ngập sâu đường Ấp Bắc (incident #42)',
        'Severity: Critical',
        'Category: Flooding',
        'Acknowledge by: 23/11/2026 14:05',
      ]),
    );
    expect(text.indexOf('Mức độ')).toBeLessThan(text.indexOf('Severity'));
  });

  it('never carries the reporter phone number', () => {
    for (const step of ['opened', 'acknowledged', 'dispatched', 'resolved'] as const) {
      const m = renderEmail({ incident: INCIDENT, entry: entry(step) }, CTX);
      for (const part of [m.subject, m.text, m.html]) expect(part).not.toContain('0912345678');
    }
  });

  it('names the team of a dispatch, the roles and level of an escalation, and drops due times already met', () => {
    const dispatched = renderEmail(
      {
        incident: { ...INCIDENT, state: 'dispatched', acknowledgedAt: '2026-11-23T07:02:00.000Z', teamId: 2, teamName: 'Tổ Mỹ Tho' },
        entry: entry('dispatched', { teamId: 2, teamName: 'Tổ Mỹ Tho', actor: { id: 3, username: 'canbotruc' }, note: 'Mang máy bơm' }),
      },
      CTX,
    ).text;
    expect(dispatched).toContain('Giao cho: Tổ Mỹ Tho');
    expect(dispatched).toContain('Ghi chú: Mang máy bơm');
    expect(dispatched).not.toContain('Thời hạn tiếp nhận');
    expect(dispatched).toContain('Thời hạn xử lý: 23/11/2026 18:00');
    const escalated = renderEmail({ incident: INCIDENT, entry: entry('escalated', { level: 2, notifyRoles: ['supervisor', 'admin'] }) }, CTX).text;
    expect(escalated).toContain('Cấp chuyển: 2');
    expect(escalated).toContain('Thông báo: Trưởng ca, Quản trị hệ thống');
    expect(escalated).toContain('Told: supervisors, administrators');
  });

  it('names the incident a report was merged into', () => {
    const { text } = renderEmail({ incident: { ...INCIDENT, state: 'closed', mergedIntoId: 40 }, entry: entry('merged', { relatedIncidentId: 40 }) }, CTX);
    expect(text).toContain('Gộp vào: Sự cố #40');
    expect(text).toContain('Merged into: incident #40');
  });

  it('writes a reading with a decimal comma', () => {
    const rule = { ...INCIDENT, source: 'rule', category: 'salinity', deviceIds: ['mt-sal-01'], description: null } as IncidentDto;
    const { text } = renderEmail({ incident: rule, entry: entry('opened', { value: 5.25, deviceId: 'mt-sal-01' }) }, { ...CTX, areaNames: [] });
    expect(text).toContain('Giá trị đo: 5,25');
    expect(text).toContain('Thiết bị: mt-sal-01');
    expect(text).toContain('Loại: Xâm nhập mặn');
    expect(text).not.toContain('Khu vực');
  });

  it('escapes what people wrote in the HTML part', () => {
    const { html } = renderEmail({ incident: { ...INCIDENT, title: '<script>alert(1)</script>' }, entry: entry('opened') }, CTX);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('Nước ngập 40 cm trước chợ &#60;Mỹ Tho&#62;');
    expect(html).toContain('<a href="https://ioc.tiengiang.gov.vn/?incident=42">');
  });
});

describe('times in emails', () => {
  it('writes dd/MM/yyyy HH:mm in Asia/Ho_Chi_Minh, across the local midnight', () => {
    expect(formatVietnamTime('2026-11-23T07:05:00.000Z')).toBe('23/11/2026 14:05');
    expect(formatVietnamTime('2026-12-31T17:30:00.000Z')).toBe('01/01/2027 00:30');
    expect(formatVietnamTime('2026-03-01T16:59:59.999Z')).toBe('01/03/2026 23:59');
  });
});

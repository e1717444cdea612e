import type { AreaDto, WarningContentDto } from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';
import { decideCancel, decideUpdate, defaultAreaId, nextSent, referencesOf, warningState, type MessageRecord, type WarningRecord } from './warning-lifecycle';

const square = { type: 'Polygon' as const, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
const area = (id: string, level: AreaDto['level'], parentId: string | null): AreaDto => ({ id, name: id, level, parentId, geometry: square });
const AREAS = [area('tien-giang', 'province', null), area('my-tho', 'district', 'tien-giang'), area('my-tho-phuong-10', 'ward', 'my-tho')];

const NOW = new Date('2026-12-03T10:00:00Z');
const content: WarningContentDto = {
  type: 'flood',
  severity: 'Moderate',
  urgency: 'Expected',
  certainty: 'Likely',
  vi: { headline: 'Ngập', description: 'Ngập sâu 0,3 m', instruction: 'Tránh đường Hùng Vương' },
  en: { headline: 'Flooding', description: 'Water 0.3 m deep', instruction: 'Avoid Hùng Vương street' },
  area: { id: 'my-tho', name: 'Thành phố Mỹ Tho' },
  expires: '2026-12-03T18:00:00.000Z',
};
const message = (seq: number, sent: string): MessageRecord => ({
  seq,
  identifier: `id-${seq}`,
  sender: 'ioc@tiengiang.gov.vn',
  sent: new Date(sent),
  msgType: seq === 1 ? 'Alert' : 'Update',
  references: null,
  note: null,
  content,
  by: 'canbotruc',
});
const warning = (over: Partial<WarningRecord> = {}): WarningRecord => ({
  id: 7,
  incidentId: 3,
  content,
  publishedAt: new Date('2026-12-03T09:00:00Z'),
  publishedBy: 'canbotruc',
  updatedAt: new Date('2026-12-03T09:00:00Z'),
  cancelledAt: null,
  cancelledBy: null,
  cancelReason: null,
  messages: [message(1, '2026-12-03T09:00:00Z')],
  ...over,
});
const lookup = (id: string) => {
  const found = AREAS.find((a) => a.id === id);
  return found ? { id: found.id, name: found.name } : null;
};

describe('defaultAreaId', () => {
  it('takes the group area of an area-grouped incident', () => {
    expect(defaultAreaId({ groupAreaId: 'my-tho', areaIds: ['tien-giang', 'my-tho-phuong-10'] }, AREAS)).toBe('my-tho');
  });

  it('otherwise the most specific area the device is in, whatever the order', () => {
    expect(defaultAreaId({ groupAreaId: null, areaIds: ['my-tho-phuong-10', 'tien-giang', 'my-tho'] }, AREAS)).toBe('my-tho-phuong-10');
    expect(defaultAreaId({ groupAreaId: null, areaIds: ['tien-giang', 'my-tho'] }, AREAS)).toBe('my-tho');
  });

  it('answers null for an incident in no known area', () => {
    expect(defaultAreaId({ groupAreaId: null, areaIds: [] }, AREAS)).toBeNull();
    expect(defaultAreaId({ groupAreaId: 'gone', areaIds: ['gone-too'] }, AREAS)).toBeNull();
  });
});

describe('nextSent', () => {
  it('is now to the second', () => {
    expect(nextSent(new Date('2026-12-03T10:00:00.900Z')).toISOString()).toBe('2026-12-03T10:00:00.000Z');
  });

  it('comes after the previous message, even within the same second', () => {
    expect(nextSent(new Date('2026-12-03T10:00:00.900Z'), new Date('2026-12-03T10:00:00Z')).toISOString()).toBe('2026-12-03T10:00:01.000Z');
    expect(nextSent(new Date('2026-12-03T10:05:00.100Z'), new Date('2026-12-03T10:00:00Z')).toISOString()).toBe('2026-12-03T10:05:00.000Z');
  });
});

describe('warningState', () => {
  it('is active until it expires, cancelled once cancelled', () => {
    expect(warningState(warning(), NOW)).toBe('active');
    expect(warningState(warning(), new Date(content.expires))).toBe('expired');
    expect(warningState(warning({ cancelledAt: NOW }), NOW)).toBe('cancelled');
  });
});

describe('decideUpdate', () => {
  it('lays the fields given over the current ones, texts field by field', () => {
    const decision = decideUpdate(warning(), { severity: 'Severe', vi: { headline: 'Ngập sâu' }, areaId: 'my-tho-phuong-10', note: 'Nước lên' }, lookup, NOW);
    expect(decision).toEqual({
      ok: true,
      msgType: 'Update',
      note: 'Nước lên',
      content: { ...content, severity: 'Severe', vi: { ...content.vi, headline: 'Ngập sâu' }, area: { id: 'my-tho-phuong-10', name: 'my-tho-phuong-10' } },
    });
  });

  it('refuses a cancelled warning with a conflict', () => {
    expect(decideUpdate(warning({ cancelledAt: NOW }), { severity: 'Severe' }, lookup, NOW)).toMatchObject({ ok: false, code: ErrorCode.Conflict });
  });

  it('refuses an unknown area', () => {
    expect(decideUpdate(warning(), { areaId: 'ha-noi' }, lookup, NOW)).toMatchObject({ ok: false, code: ErrorCode.Invalid, message: 'areaId: no area ha-noi' });
  });

  it('updates an expired warning only with a new expiry', () => {
    const later = new Date('2026-12-04T00:00:00Z');
    expect(decideUpdate(warning(), { severity: 'Severe' }, lookup, later)).toMatchObject({ ok: false, code: ErrorCode.Invalid });
    expect(decideUpdate(warning(), { expires: '2026-12-04T09:00:00+07:00' }, lookup, later)).toMatchObject({
      ok: true,
      content: { expires: '2026-12-04T02:00:00.000Z' },
    });
  });
});

describe('decideCancel', () => {
  it('cancels with the reason as its note, keeping what the warning said', () => {
    expect(decideCancel(warning(), 'Nước đã rút')).toEqual({ ok: true, msgType: 'Cancel', content, note: 'Nước đã rút' });
  });

  it('refuses a second cancel with a conflict', () => {
    expect(decideCancel(warning({ cancelledAt: NOW }), 'again')).toMatchObject({ ok: false, code: ErrorCode.Conflict });
  });
});

describe('referencesOf', () => {
  it('names every earlier message, oldest first', () => {
    const messages = [message(1, '2026-12-03T09:00:00Z'), message(2, '2026-12-03T09:30:00Z')];
    expect(referencesOf(messages)).toEqual([
      { sender: 'ioc@tiengiang.gov.vn', identifier: 'id-1', sent: new Date('2026-12-03T09:00:00Z') },
      { sender: 'ioc@tiengiang.gov.vn', identifier: 'id-2', sent: new Date('2026-12-03T09:30:00Z') },
    ]);
  });
});

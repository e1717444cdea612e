import type { IncidentDto } from '@ioc/contracts';
import {
  availableActions,
  catchUpFrom,
  incidentGroup,
  incidentPlace,
  incidentsReducer,
  initialIncidentsState,
  mayAddPhoto,
  mayHavePhotos,
  mergeCandidates,
  pendingDeadline,
  placeAreaName,
  sortedIncidents,
  type IncidentsState,
} from './incident-state';
import { incidentFixture } from '../../../../test/support/incidents';

const incident = incidentFixture;

const loaded = (...incidents: IncidentDto[]): IncidentsState =>
  incidentsReducer(initialIncidentsState, { type: 'incidents-loaded', incidents });

describe('incidentsReducer', () => {
  it('keeps the newer copy of an incident, whichever arrives last', () => {
    const newer = incident({ state: 'acknowledged', updatedAt: '2026-11-23T07:01:00.000Z' });
    const state = incidentsReducer(loaded(newer), { type: 'incidents-loaded', incidents: [incident()] });
    expect(state.byId[1]).toBe(newer);
    const changed = incidentsReducer(loaded(incident()), { type: 'incident-changed', incident: newer });
    expect(changed.byId[1]).toBe(newer);
  });

  it('drops a closed incident but remembers when it changed', () => {
    const closed = incident({ state: 'closed', updatedAt: '2026-11-23T08:00:00.000Z' });
    const state = incidentsReducer(loaded(incident()), { type: 'incident-changed', incident: closed });
    expect(state.byId).toEqual({});
    expect(state.newest).toBe('2026-11-23T08:00:00.000Z');
  });

  it('forgets an incident withdrawn from the team', () => {
    const state = incidentsReducer(loaded(incident({ id: 4 }), incident({ id: 5 })), { type: 'incident-withdrawn', id: 4 });
    expect(Object.keys(state.byId)).toEqual(['5']);
  });
});

describe('catchUpFrom', () => {
  it('asks for the whole list until one has loaded, then for what changed shortly before the newest change', () => {
    const early = incidentsReducer(initialIncidentsState, { type: 'incident-changed', incident: incident() });
    expect(catchUpFrom(early)).toBeNull();
    expect(catchUpFrom(loaded())).toBeNull();
    expect(catchUpFrom(loaded(incident({ updatedAt: '2026-11-23T07:00:10.000Z' })))).toBe('2026-11-23T07:00:05.000Z');
  });
});

describe('sortedIncidents', () => {
  it('puts unacknowledged first, then the most severe, then the newest', () => {
    const state = loaded(
      incident({ id: 1, state: 'dispatched', severity: 'critical' }),
      incident({ id: 2, state: 'open', severity: 'info' }),
      incident({ id: 3, state: 'open', severity: 'critical' }),
      incident({ id: 4, state: 'open', severity: 'info' }),
    );
    expect(sortedIncidents(state).map((i) => i.id)).toEqual([3, 4, 2, 1]);
  });
});

describe('availableActions', () => {
  const operator = { role: 'operator', teamId: null } as const;
  const field = { role: 'field', teamId: 2 } as const;

  it('follows the lifecycle for the operations room', () => {
    expect(availableActions(incident(), operator)).toEqual(['acknowledge']);
    expect(availableActions(incident({ state: 'acknowledged' }), operator)).toEqual(['dispatch', 'resolve']);
    expect(availableActions(incident({ state: 'dispatched', teamId: 2 }), operator)).toEqual(['dispatch', 'resolve']);
    expect(availableActions(incident({ state: 'resolved' }), operator)).toEqual(['close']);
  });

  it('offers triage of a reported incident until a team is sent', () => {
    const report = incident({ source: 'citizen', category: 'flooding', deviceId: null, deviceIds: [] });
    expect(availableActions(report, operator)).toEqual(['acknowledge', 'reject', 'merge']);
    expect(availableActions({ ...report, state: 'acknowledged' }, operator)).toEqual(['dispatch', 'resolve', 'reject', 'merge']);
    expect(availableActions({ ...report, state: 'dispatched', teamId: 2 }, operator)).toEqual(['dispatch', 'resolve']);
  });

  it('rejects only a citizen’s report, and merges only what people reported', () => {
    const call = incident({ source: 'manual', category: 'fallen_tree', deviceId: null, deviceIds: [] });
    expect(availableActions(call, operator)).toEqual(['acknowledge', 'merge']);
    expect(availableActions(incident(), operator)).toEqual(['acknowledge']);
  });

  it('leaves triage to the operations room', () => {
    const report = incident({ source: 'citizen', state: 'acknowledged', teamId: 2 });
    expect(availableActions(report, field)).toEqual([]);
    expect(availableActions(report, { role: 'viewer', teamId: null })).toEqual([]);
  });

  it('offers a viewer nothing', () => {
    expect(availableActions(incident(), { role: 'viewer', teamId: null })).toEqual([]);
  });

  it('lets a field user say they are on site once, then resolve', () => {
    const dispatched = incident({ state: 'dispatched', teamId: 2 });
    expect(availableActions(dispatched, field)).toEqual(['acknowledge', 'resolve']);
    expect(availableActions({ ...dispatched, onSiteAt: '2026-11-23T07:30:00.000Z' }, field)).toEqual(['resolve']);
    expect(availableActions({ ...dispatched, state: 'resolved' }, field)).toEqual([]);
    expect(availableActions({ ...dispatched, teamId: 3 }, field)).toEqual([]);
  });
});

describe('incidentGroup', () => {
  const areas = [{ id: 'go-cong-dong', name: 'Gò Công Đông', level: 'district' }] as const;

  it('says nothing more for one device\'s incident, whose title names the device', () => {
    expect(incidentGroup(incident(), areas)).toBeNull();
  });

  it('names the area of an area-grouped incident and counts its devices', () => {
    const grouped = incident({ groupAreaId: 'go-cong-dong', deviceIds: ['gcd-sal-03', 'gcd-sal-01', 'gcd-sal-07'] });
    expect(incidentGroup(grouped, areas)).toEqual({ areaName: 'Gò Công Đông', deviceCount: 3 });
    expect(incidentGroup({ ...grouped, deviceIds: ['gcd-sal-03'] }, areas)).toEqual({ areaName: 'Gò Công Đông', deviceCount: 1 });
  });

  it('shows an area the console does not know by its id', () => {
    expect(incidentGroup(incident({ groupAreaId: 'tan-phu-dong', deviceIds: ['tpd-sal-01', 'tpd-sal-02'] }), areas)).toEqual({
      areaName: 'tan-phu-dong',
      deviceCount: 2,
    });
  });

  it('counts the devices of an incident that gathers several without an area', () => {
    expect(incidentGroup(incident({ deviceIds: ['gcd-sal-03', 'gcd-sal-01'] }), areas)).toEqual({ areaName: null, deviceCount: 2 });
  });
});

describe('pendingDeadline', () => {
  it('holds an open incident to acknowledging, and says when that deadline passed', () => {
    expect(pendingDeadline(incident())).toEqual({ deadline: 'acknowledge', dueAt: '2026-11-23T07:30:00.000Z', breached: false });
    expect(pendingDeadline(incident({ acknowledgeBreachedAt: '2026-11-23T07:30:00.000Z' }))?.breached).toBe(true);
  });

  it('holds an acknowledged or dispatched incident to resolving', () => {
    for (const state of ['acknowledged', 'dispatched'] as const) {
      expect(pendingDeadline(incident({ state, resolveBreachedAt: '2026-11-24T07:00:00.000Z' }))).toEqual({
        deadline: 'resolve',
        dueAt: '2026-11-24T07:00:00.000Z',
        breached: true,
      });
    }
  });

  it('has none once resolved, nor for an incident without deadlines', () => {
    expect(pendingDeadline(incident({ state: 'resolved' }))).toBeNull();
    expect(pendingDeadline(incident({ acknowledgeDueAt: null }))).toBeNull();
  });
});

describe('mergeCandidates', () => {
  const devicePlaces = { 'mt-wl-01': { lat: 10.3605, lng: 106.3655 } };
  const report = incident({ id: 10, source: 'citizen', deviceId: null, deviceIds: [], location: { lat: 10.36, lng: 106.365 } });
  const near = incident({ id: 11, source: 'citizen', deviceId: null, deviceIds: [], location: { lat: 10.3601, lng: 106.365 } });
  const device = incident({ id: 12, deviceId: 'mt-wl-01', deviceIds: ['mt-wl-01'], state: 'dispatched', teamId: 2 });
  const far = incident({ id: 13, source: 'manual', deviceId: null, deviceIds: [], location: { lat: 10.45, lng: 106.5 } });
  const nowhere = incident({ id: 14, deviceId: 'unknown-device', deviceIds: ['unknown-device'] });

  it('lists the incidents being handled, nearest first, those of unknown place last', () => {
    const candidates = mergeCandidates(report, [far, nowhere, report, device, near], devicePlaces);
    expect(candidates.map((c) => c.incident.id)).toEqual([11, 12, 13, 14]);
    expect(candidates[0].distanceM).toBeCloseTo(11.1, 0);
    expect(candidates[1].distanceM).toBeCloseTo(77, -1);
    expect(candidates[3].distanceM).toBeNull();
  });

  it('leaves out the report itself and incidents no longer being handled', () => {
    const resolved = { ...near, id: 15, state: 'resolved' as const };
    expect(mergeCandidates(report, [report, resolved], devicePlaces)).toEqual([]);
  });

  it('keeps at most `limit`', () => {
    expect(mergeCandidates(report, [far, near, device], devicePlaces, 2).map((c) => c.incident.id)).toEqual([11, 12]);
  });

  it('places an incident where it was reported, or where its device is', () => {
    expect(incidentPlace(near, devicePlaces)).toEqual({ lat: 10.3601, lng: 106.365 });
    expect(incidentPlace(device, devicePlaces)).toEqual(devicePlaces['mt-wl-01']);
    expect(incidentPlace(nowhere, devicePlaces)).toBeNull();
  });
});

describe('photos', () => {
  const field = { role: 'field', teamId: 2 } as const;
  const operator = { role: 'operator', teamId: null } as const;

  it('lets a field team add photos to its own incident while dispatched and once resolved', () => {
    expect(mayAddPhoto(incident({ state: 'dispatched', teamId: 2 }), field)).toBe(true);
    expect(mayAddPhoto(incident({ state: 'resolved', teamId: 2 }), field)).toBe(true);
    expect(mayAddPhoto(incident({ state: 'dispatched', teamId: 3 }), field)).toBe(false);
    expect(mayAddPhoto(incident({ state: 'closed', teamId: 2 }), field)).toBe(false);
  });

  it('follows the comment rule for everyone else', () => {
    expect(mayAddPhoto(incident(), operator)).toBe(true);
    expect(mayAddPhoto(incident({ state: 'closed' }), operator)).toBe(false);
    expect(mayAddPhoto(incident(), { role: 'viewer', teamId: null })).toBe(false);
  });

  it('looks for photos on reports and on incidents a team was sent to', () => {
    expect(mayHavePhotos(incident({ source: 'citizen' }))).toBe(true);
    expect(mayHavePhotos(incident({ source: 'manual' }))).toBe(true);
    expect(mayHavePhotos(incident())).toBe(false);
    expect(mayHavePhotos(incident({ dispatchedAt: '2026-11-23T07:10:00.000Z' }))).toBe(true);
  });
});

describe('placeAreaName', () => {
  const areas = [
    { id: 'tien-giang', name: 'Tỉnh Tiền Giang', level: 'province' as const },
    { id: 'my-tho', name: 'Thành phố Mỹ Tho', level: 'district' as const },
    { id: 'phuong-5', name: 'Phường 5', level: 'ward' as const },
  ];

  it('names the most specific area the place is in', () => {
    expect(placeAreaName(incident({ areaIds: ['tien-giang', 'phuong-5', 'my-tho'] }), areas)).toBe('Phường 5');
    expect(placeAreaName(incident({ areaIds: ['tien-giang'] }), areas)).toBe('Tỉnh Tiền Giang');
  });

  it('has none when the console knows none of its areas', () => {
    expect(placeAreaName(incident({ areaIds: ['elsewhere'] }), areas)).toBeNull();
    expect(placeAreaName(incident({ areaIds: [] }), areas)).toBeNull();
  });
});

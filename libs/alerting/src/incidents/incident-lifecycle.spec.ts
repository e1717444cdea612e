import { INCIDENT_ACTIONS, INCIDENT_STATES, type IncidentAction, type IncidentState } from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';
import { canSee, decide, decideMerge, decidePhoto, metresBetween, type Actor, type IncidentFacts, type MergeTarget } from './incident-lifecycle';

const incident = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({ id: 7, source: 'citizen', state: 'open', teamId: null, onSiteAt: null, ...over });
const operator: Actor = { role: 'operator', teamId: null };
const fieldOf = (teamId: number | null): Actor => ({ role: 'field', teamId });

/** The operations room's lifecycle: the next state, or null where the action is refused with 409. */
const OPERATIONS: Record<IncidentState, Record<IncidentAction, IncidentState | null>> = {
  open: { acknowledge: 'acknowledged', dispatch: null, resolve: null, close: null, comment: 'open', reject: 'closed', merge: 'closed' },
  acknowledged: { acknowledge: null, dispatch: 'dispatched', resolve: 'resolved', close: null, comment: 'acknowledged', reject: 'closed', merge: 'closed' },
  dispatched: { acknowledge: null, dispatch: 'dispatched', resolve: 'resolved', close: null, comment: 'dispatched', reject: null, merge: null },
  resolved: { acknowledge: null, dispatch: null, resolve: null, close: 'closed', comment: 'resolved', reject: null, merge: null },
  closed: { acknowledge: null, dispatch: null, resolve: null, close: null, comment: null, reject: null, merge: null },
};

describe('decide, for the operations room', () => {
  const cases = INCIDENT_STATES.flatMap((state) => INCIDENT_ACTIONS.map((action) => ({ state, action, next: OPERATIONS[state][action] })));

  it.each(cases)('$action on a $state incident gives $next', ({ state, action, next }) => {
    const decision = decide(incident({ state, teamId: state === 'dispatched' ? 1 : null }), action, operator, 2);
    if (next === null) expect(decision).toMatchObject({ ok: false, code: ErrorCode.Conflict });
    else expect(decision).toMatchObject({ ok: true, state: next });
  });

  it.each(['admin', 'supervisor', 'operator'] as const)('lets the role %s triage', (role) => {
    expect(decide(incident(), 'acknowledge', { role, teamId: null })).toEqual({ ok: true, state: 'acknowledged', step: 'acknowledged' });
  });

  it('records each step by its name', () => {
    expect(decide(incident({ state: 'acknowledged' }), 'dispatch', operator, 1)).toMatchObject({ step: 'dispatched' });
    expect(decide(incident({ state: 'dispatched', teamId: 1 }), 'resolve', operator)).toMatchObject({ step: 'resolved' });
    expect(decide(incident({ state: 'resolved' }), 'close', operator)).toMatchObject({ step: 'closed' });
    expect(decide(incident({ state: 'resolved' }), 'comment', operator)).toMatchObject({ step: 'comment' });
  });

  it('says what the incident is and what the action needs', () => {
    expect(decide(incident(), 'dispatch', operator, 1)).toEqual({
      ok: false,
      code: ErrorCode.Conflict,
      message: 'incident 7 is open: only an incident that is acknowledged or dispatched can be dispatched',
    });
    expect(decide(incident({ state: 'acknowledged' }), 'close', operator)).toMatchObject({
      message: 'incident 7 is acknowledged: only an incident that is resolved can be closed',
    });
    expect(decide(incident({ state: 'closed' }), 'comment', operator)).toMatchObject({ message: 'incident 7 is closed' });
  });

  it('re-dispatches to another team, but not to the team that has it', () => {
    const dispatched = incident({ state: 'dispatched', teamId: 1 });
    expect(decide(dispatched, 'dispatch', operator, 2)).toMatchObject({ ok: true, state: 'dispatched' });
    expect(decide(dispatched, 'dispatch', operator, 1)).toEqual({
      ok: false,
      code: ErrorCode.Conflict,
      message: 'incident 7 is already dispatched to team 1',
    });
  });

  it('lets a viewer do nothing', () => {
    for (const action of INCIDENT_ACTIONS) {
      expect(decide(incident(), action, { role: 'viewer', teamId: null })).toMatchObject({
        ok: false,
        code: ErrorCode.Forbidden,
        message: `the role viewer may not ${action} an incident`,
      });
    }
  });
});

describe('decide, for a field team', () => {
  const own = incident({ state: 'dispatched', teamId: 3 });
  const team3 = fieldOf(3);

  it('acknowledges on site once, leaving the incident dispatched', () => {
    expect(decide(own, 'acknowledge', team3)).toEqual({ ok: true, state: 'dispatched', step: 'on_site' });
    expect(decide({ ...own, onSiteAt: '2026-11-23T07:05:00.000Z' }, 'acknowledge', team3)).toEqual({
      ok: false,
      code: ErrorCode.Conflict,
      message: 'incident 7 is already acknowledged on site',
    });
  });

  it('resolves and comments on its own incident', () => {
    expect(decide(own, 'resolve', team3)).toEqual({ ok: true, state: 'resolved', step: 'resolved' });
    expect(decide(own, 'comment', team3)).toEqual({ ok: true, state: 'dispatched', step: 'comment' });
    expect(decide({ ...own, state: 'resolved' }, 'comment', team3)).toMatchObject({ ok: true, state: 'resolved' });
    expect(decide({ ...own, state: 'resolved' }, 'resolve', team3)).toMatchObject({
      code: ErrorCode.Conflict,
      message: 'incident 7 is resolved: only an incident that is dispatched can be resolved',
    });
    expect(decide({ ...own, state: 'resolved' }, 'acknowledge', team3)).toMatchObject({
      message: 'incident 7 is resolved: only an incident that is dispatched can be acknowledged on site',
    });
  });

  it('may not dispatch or close', () => {
    expect(decide(own, 'dispatch', team3, 4)).toMatchObject({ ok: false, code: ErrorCode.Forbidden, message: 'the role field may not dispatch an incident' });
    expect(decide({ ...own, state: 'resolved' }, 'close', team3)).toMatchObject({ ok: false, code: ErrorCode.Forbidden });
  });

  it.each(INCIDENT_ACTIONS)('finds no incident of another team, or not yet dispatched, to %s', (action) => {
    const notFound = { ok: false, code: ErrorCode.NotFound, message: 'incident 7 does not exist' };
    expect(decide(own, action, fieldOf(4))).toEqual(notFound);
    expect(decide(incident(), action, team3)).toEqual(notFound);
    expect(decide(own, action, fieldOf(null))).toEqual(notFound);
  });
});

describe('triage of reports: reject and merge', () => {
  const target = (over: Partial<MergeTarget['facts']> = {}, distanceM: number | null = 120): MergeTarget => ({
    facts: { state: 'dispatched', teamId: 3, ...over },
    distanceM,
  });

  it("rejects a citizen's report before a team is sent, closing it with the step rejected", () => {
    expect(decide(incident(), 'reject', operator)).toEqual({ ok: true, state: 'closed', step: 'rejected' });
    expect(decide(incident({ state: 'dispatched', teamId: 3 }), 'reject', operator)).toMatchObject({
      code: ErrorCode.Conflict,
      message: 'incident 7 is dispatched: only an incident that is open or acknowledged can be rejected',
    });
  });

  it('rejects nothing a rule or an operator opened', () => {
    expect(decide(incident({ source: 'rule' }), 'reject', operator)).toEqual({
      ok: false,
      code: ErrorCode.Conflict,
      message: "incident 7 came from a rule: only a citizen's report can be rejected",
    });
    expect(decide(incident({ source: 'manual' }), 'reject', operator)).toMatchObject({ code: ErrorCode.Conflict });
  });

  it('merges a reported incident into an active one nearby', () => {
    expect(decideMerge(incident(), 9, target(), operator, 2000)).toEqual({ ok: true, state: 'closed', step: 'merged' });
    expect(decideMerge(incident({ source: 'manual', state: 'acknowledged' }), 9, target({ state: 'open', teamId: null }), operator, 2000)).toMatchObject({ ok: true });
    // A device's incident without a known place is the operator's call.
    expect(decideMerge(incident(), 9, target({}, null), operator, 2000)).toMatchObject({ ok: true });
  });

  it('says why a merge is refused', () => {
    expect(decideMerge(incident({ source: 'rule' }), 9, target(), operator, 2000)).toMatchObject({
      code: ErrorCode.Conflict,
      message: 'incident 7 came from a rule: only a reported incident can be merged into another',
    });
    expect(decideMerge(incident(), 7, target(), operator, 2000)).toMatchObject({ code: ErrorCode.Conflict, message: 'incident 7 cannot be merged into itself' });
    expect(decideMerge(incident(), 9, null, operator, 2000)).toEqual({ ok: false, code: ErrorCode.NotFound, message: 'incident 9 does not exist' });
    expect(decideMerge(incident(), 9, target({ state: 'resolved' }), operator, 2000)).toMatchObject({
      code: ErrorCode.Conflict,
      message: 'incident 9 is resolved: a report can only be merged into an incident that is open, acknowledged, dispatched',
    });
    expect(decideMerge(incident(), 9, target({}, 2600.4), operator, 2000)).toMatchObject({
      code: ErrorCode.Conflict,
      message: 'incident 9 is 2600 m from incident 7: only incidents at most 2000 m apart can be merged',
    });
    expect(decideMerge(incident({ state: 'resolved' }), 9, target(), operator, 2000)).toMatchObject({ code: ErrorCode.Conflict });
  });

  it('leaves triage to the operations room', () => {
    for (const action of ['reject', 'merge'] as const) {
      expect(decide(incident({ state: 'dispatched', teamId: 3 }), action, fieldOf(3))).toMatchObject({ code: ErrorCode.Forbidden });
    }
    expect(decideMerge(incident(), 9, target(), { role: 'viewer', teamId: null }, 2000)).toMatchObject({ code: ErrorCode.Forbidden });
  });
});

describe('decidePhoto', () => {
  it('allows a photo wherever a comment is allowed, as the step photo_added', () => {
    expect(decidePhoto(incident({ state: 'dispatched', teamId: 3 }), fieldOf(3))).toEqual({ ok: true, state: 'dispatched', step: 'photo_added' });
    expect(decidePhoto(incident({ state: 'resolved', teamId: 3 }), fieldOf(3))).toEqual({ ok: true, state: 'resolved', step: 'photo_added' });
    expect(decidePhoto(incident(), operator)).toEqual({ ok: true, state: 'open', step: 'photo_added' });
    expect(decidePhoto(incident({ state: 'dispatched', teamId: 3 }), fieldOf(4))).toMatchObject({ code: ErrorCode.NotFound });
    expect(decidePhoto(incident({ state: 'closed' }), operator)).toMatchObject({ code: ErrorCode.Conflict, message: 'incident 7 is closed' });
    expect(decidePhoto(incident(), { role: 'viewer', teamId: null })).toMatchObject({ code: ErrorCode.Forbidden });
  });
});

describe('metresBetween', () => {
  it('measures short distances on the ground', () => {
    // One thousandth of a degree of latitude is about 111 m anywhere.
    expect(metresBetween({ lat: 10.36, lng: 106.36 }, { lat: 10.361, lng: 106.36 })).toBeCloseTo(111.2, 0);
    // Mỹ Tho to Vị Thanh, about 117 km as the crow flies.
    expect(metresBetween({ lat: 10.36, lng: 106.36 }, { lat: 9.78, lng: 105.47 }) / 1000).toBeCloseTo(116.6, 0);
    expect(metresBetween({ lat: 10.36, lng: 106.36 }, { lat: 10.36, lng: 106.36 })).toBe(0);
  });
});

describe('canSee', () => {
  it('shows a field user only what is dispatched to their team, and everyone else everything', () => {
    expect(canSee(fieldOf(3), { teamId: 3 })).toBe(true);
    expect(canSee(fieldOf(3), { teamId: 4 })).toBe(false);
    expect(canSee(fieldOf(3), { teamId: null })).toBe(false);
    expect(canSee(fieldOf(null), { teamId: null })).toBe(false);
    for (const role of ['admin', 'supervisor', 'operator', 'viewer'] as const) expect(canSee({ role, teamId: null }, { teamId: 4 })).toBe(true);
  });
});

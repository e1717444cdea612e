import { INCIDENT_ACTIONS, INCIDENT_STATES, type IncidentAction, type IncidentState } from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';
import { canSee, decide, type Actor, type IncidentFacts } from './incident-lifecycle';

const incident = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({ id: 7, state: 'open', teamId: null, onSiteAt: null, ...over });
const operator: Actor = { role: 'operator', teamId: null };
const fieldOf = (teamId: number | null): Actor => ({ role: 'field', teamId });

/** The operations room's lifecycle: the next state, or null where the action is refused with 409. */
const OPERATIONS: Record<IncidentState, Record<IncidentAction, IncidentState | null>> = {
  open: { acknowledge: 'acknowledged', dispatch: null, resolve: null, close: null, comment: 'open' },
  acknowledged: { acknowledge: null, dispatch: 'dispatched', resolve: 'resolved', close: null, comment: 'acknowledged' },
  dispatched: { acknowledge: null, dispatch: 'dispatched', resolve: 'resolved', close: null, comment: 'dispatched' },
  resolved: { acknowledge: null, dispatch: null, resolve: null, close: 'closed', comment: 'resolved' },
  closed: { acknowledge: null, dispatch: null, resolve: null, close: null, comment: null },
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

describe('canSee', () => {
  it('shows a field user only what is dispatched to their team, and everyone else everything', () => {
    expect(canSee(fieldOf(3), { teamId: 3 })).toBe(true);
    expect(canSee(fieldOf(3), { teamId: 4 })).toBe(false);
    expect(canSee(fieldOf(3), { teamId: null })).toBe(false);
    expect(canSee(fieldOf(null), { teamId: null })).toBe(false);
    for (const role of ['admin', 'supervisor', 'operator', 'viewer'] as const) expect(canSee({ role, teamId: null }, { teamId: 4 })).toBe(true);
  });
});

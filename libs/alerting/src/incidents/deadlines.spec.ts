import type { EscalationStep } from '@ioc/contracts';
import { deadlinesOf, dueSteps, type DeadlineFacts } from './deadlines';

const MIN = 60_000;
const OPENED = Date.UTC(2026, 9, 15, 2, 0);
const CRITICAL = { acknowledgeS: 300, resolveS: 4 * 3600 };
const ESCALATION: EscalationStep[] = [
  { afterS: 0, notifyRoles: ['supervisor'] },
  { afterS: 900, notifyRoles: ['admin'] },
];

/** A critical incident opened at OPENED with the default deadlines. */
const incident = (over: Partial<DeadlineFacts> = {}): DeadlineFacts => ({
  state: 'open',
  acknowledgeDueAt: OPENED + 5 * MIN,
  resolveDueAt: OPENED + 240 * MIN,
  acknowledgeBreached: false,
  resolveBreached: false,
  escalationLevel: 0,
  ...over,
});

describe('deadlinesOf', () => {
  it('takes the severity policy where the rule says nothing', () => {
    expect(deadlinesOf(CRITICAL, {})).toEqual({ acknowledgeS: 300, resolveS: 14_400 });
  });

  it("takes the rule's own deadline, and its null as no deadline at all", () => {
    expect(deadlinesOf(CRITICAL, { acknowledgeS: 60, resolveS: null })).toEqual({ acknowledgeS: 60, resolveS: null });
  });

  it('has none where the severity has none (info)', () => {
    expect(deadlinesOf({ acknowledgeS: null, resolveS: null }, {})).toEqual({ acknowledgeS: null, resolveS: null });
  });
});

describe('dueSteps on a clock', () => {
  it('has nothing due a moment before the acknowledge deadline', () => {
    expect(dueSteps(incident(), ESCALATION, OPENED + 5 * MIN - 1)).toEqual([]);
  });

  it('breaches and escalates to the supervisor exactly at the acknowledge deadline', () => {
    expect(dueSteps(incident(), ESCALATION, OPENED + 5 * MIN)).toEqual([
      { kind: 'breach', deadline: 'acknowledge' },
      { kind: 'escalate', level: 1, notifyRoles: ['supervisor'] },
    ]);
  });

  it('escalates to the admin 15 minutes later, once the first step is done', () => {
    const after = incident({ acknowledgeBreached: true, escalationLevel: 1 });
    expect(dueSteps(after, ESCALATION, OPENED + 20 * MIN - 1)).toEqual([]);
    expect(dueSteps(after, ESCALATION, OPENED + 20 * MIN)).toEqual([{ kind: 'escalate', level: 2, notifyRoles: ['admin'] }]);
  });

  it('catches up level by level when the sweep comes late, and stops at the last step', () => {
    expect(dueSteps(incident(), ESCALATION, OPENED + 3 * 60 * MIN).map((s) => (s.kind === 'escalate' ? s.level : s.deadline))).toEqual([
      'acknowledge',
      1,
      2,
    ]);
    expect(dueSteps(incident({ acknowledgeBreached: true, escalationLevel: 2 }), ESCALATION, OPENED + 3 * 60 * MIN)).toEqual([]);
  });

  it('neither breaches nor escalates an acknowledged incident, but still holds it to its resolve deadline', () => {
    const acknowledged = incident({ state: 'acknowledged' });
    expect(dueSteps(acknowledged, ESCALATION, OPENED + 239 * MIN)).toEqual([]);
    expect(dueSteps(acknowledged, ESCALATION, OPENED + 240 * MIN)).toEqual([{ kind: 'breach', deadline: 'resolve' }]);
    expect(dueSteps(incident({ state: 'dispatched', resolveBreached: true }), ESCALATION, OPENED + 300 * MIN)).toEqual([]);
  });

  it('has nothing due for a resolved or closed incident, however late', () => {
    for (const state of ['resolved', 'closed'] as const) expect(dueSteps(incident({ state }), ESCALATION, OPENED + 1000 * MIN)).toEqual([]);
  });

  it('never escalates an incident without an acknowledge deadline', () => {
    expect(dueSteps(incident({ acknowledgeDueAt: null, resolveDueAt: null }), ESCALATION, OPENED + 1000 * MIN)).toEqual([]);
  });
});

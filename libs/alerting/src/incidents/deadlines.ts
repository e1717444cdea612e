import type { Deadline, DeadlinePolicy, EscalationStep, IncidentState, Role, RuleDeadlines } from '@ioc/contracts';

/** Seconds from opening to each due time; null: no such deadline. */
export interface DeadlineSeconds {
  acknowledgeS: number | null;
  resolveS: number | null;
}

/** The rule's own deadlines where it sets them (null included), else its severity's. */
export function deadlinesOf(policy: Pick<DeadlinePolicy, 'acknowledgeS' | 'resolveS'> | null, own: RuleDeadlines): DeadlineSeconds {
  return {
    acknowledgeS: own.acknowledgeS !== undefined ? own.acknowledgeS : (policy?.acknowledgeS ?? null),
    resolveS: own.resolveS !== undefined ? own.resolveS : (policy?.resolveS ?? null),
  };
}

/** What the deadline sweep needs to know of an incident; times in ms since the epoch. */
export interface DeadlineFacts {
  state: IncidentState;
  acknowledgeDueAt: number | null;
  resolveDueAt: number | null;
  acknowledgeBreached: boolean;
  resolveBreached: boolean;
  escalationLevel: number;
}

export type DeadlineStep = { kind: 'breach'; deadline: Deadline } | { kind: 'escalate'; level: number; notifyRoles: Role[] };

const UNRESOLVED: readonly IncidentState[] = ['open', 'acknowledged', 'dispatched'];

/**
 * What is due at `now`, in order: the breaches, then every escalation level reached (several
 * when the sweep comes late, each its own step). Only an unacknowledged incident escalates, by its
 * severity's steps counted from its acknowledge deadline.
 */
export function dueSteps(i: DeadlineFacts, escalation: readonly EscalationStep[], now: number): DeadlineStep[] {
  const steps: DeadlineStep[] = [];
  const open = i.state === 'open';
  if (open && !i.acknowledgeBreached && i.acknowledgeDueAt !== null && i.acknowledgeDueAt <= now) {
    steps.push({ kind: 'breach', deadline: 'acknowledge' });
  }
  if (UNRESOLVED.includes(i.state) && !i.resolveBreached && i.resolveDueAt !== null && i.resolveDueAt <= now) {
    steps.push({ kind: 'breach', deadline: 'resolve' });
  }
  if (!open || i.acknowledgeDueAt === null) return steps;
  for (let level = i.escalationLevel + 1; level <= escalation.length; level++) {
    const step = escalation[level - 1];
    if (i.acknowledgeDueAt + step.afterS * 1000 > now) break;
    steps.push({ kind: 'escalate', level, notifyRoles: step.notifyRoles });
  }
  return steps;
}

import { INCIDENT_TRANSITIONS, type IncidentAction, type IncidentState, type IncidentStep, type Role } from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';

export interface Actor {
  role: Role;
  teamId: number | null;
}

/** What the lifecycle needs to know of an incident. */
export interface IncidentFacts {
  id: number;
  state: IncidentState;
  teamId: number | null;
  onSiteAt: string | null;
}

export type Decision =
  | { ok: true; state: IncidentState; step: IncidentStep }
  | { ok: false; code: ErrorCode.NotFound | ErrorCode.Forbidden | ErrorCode.Conflict; message: string };

const DONE: Record<IncidentAction, string> = {
  acknowledge: 'acknowledged',
  dispatch: 'dispatched',
  resolve: 'resolved',
  close: 'closed',
  comment: 'commented on',
};

/**
 * A field user sees an incident only while it is dispatched to their own team; everyone else sees
 * every incident. An incident the caller may not see does not exist for them (404, not 403), so
 * its id says nothing about another team's work.
 */
export function canSee(actor: Actor, incident: Pick<IncidentFacts, 'teamId'>): boolean {
  return actor.role !== 'field' || (incident.teamId !== null && incident.teamId === actor.teamId);
}

/** What an action does to an incident, or why it is refused. `teamId` is the dispatch target. */
export function decide(incident: IncidentFacts, action: IncidentAction, actor: Actor, teamId?: number): Decision {
  if (!canSee(actor, incident)) return { ok: false, code: ErrorCode.NotFound, message: `incident ${incident.id} does not exist` };
  const transition = actor.role === 'viewer' ? undefined : INCIDENT_TRANSITIONS[actor.role === 'field' ? 'field' : 'operations'][action];
  if (!transition) return { ok: false, code: ErrorCode.Forbidden, message: `the role ${actor.role} may not ${action} an incident` };
  const conflict = (message: string): Decision => ({ ok: false, code: ErrorCode.Conflict, message: `incident ${incident.id} ${message}` });
  if (incident.state === 'closed') return conflict('is closed');
  if (!transition.from.includes(incident.state)) {
    const done = transition.step === 'on_site' ? 'acknowledged on site' : DONE[action];
    return conflict(`is ${incident.state}: only an incident that is ${transition.from.join(' or ')} can be ${done}`);
  }
  if (transition.step === 'on_site' && incident.onSiteAt !== null) return conflict('is already acknowledged on site');
  if (action === 'dispatch' && incident.state === 'dispatched' && incident.teamId === teamId) {
    return conflict(`is already dispatched to team ${teamId}`);
  }
  return { ok: true, state: transition.to ?? incident.state, step: transition.step };
}

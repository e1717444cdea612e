import {
  INCIDENT_TRANSITIONS,
  MERGEABLE_SOURCES,
  type IncidentAction,
  type IncidentSource,
  type IncidentState,
  type IncidentStep,
  type Role,
} from '@ioc/contracts';
import { ErrorCode } from '@ioc/common';

export interface Actor {
  role: Role;
  teamId: number | null;
}

/** What the lifecycle needs to know of an incident. */
export interface IncidentFacts {
  id: number;
  source: IncidentSource;
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
  reject: 'rejected',
  merge: 'merged',
};

/** Where a merge may go: an incident still being handled. */
const ACTIVE: readonly IncidentState[] = ['open', 'acknowledged', 'dispatched'];

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
  // A rejection is an answer to a citizen; what a rule or an operator opened is resolved instead.
  if (action === 'reject' && incident.source !== 'citizen') return conflict(`came from ${SOURCE_NAMES[incident.source]}: only a citizen's report can be rejected`);
  if (action === 'merge' && !MERGEABLE_SOURCES.includes(incident.source)) {
    return conflict(`came from ${SOURCE_NAMES[incident.source]}: only a reported incident can be merged into another`);
  }
  return { ok: true, state: transition.to ?? incident.state, step: transition.step };
}

const SOURCE_NAMES: Record<IncidentSource, string> = { rule: 'a rule', citizen: "a citizen's report", manual: 'a call taken by an operator' };

/** The incident a report is merged into, and how far apart the two are (null: not known, e.g. a device without a place). */
export interface MergeTarget {
  facts: Pick<IncidentFacts, 'state' | 'teamId'>;
  distanceM: number | null;
}

/**
 * Merging a report into `target`: the report's own checks first (as for any action), then the
 * target: one the caller can see, another one, still active, and at most `maxDistanceM` away.
 */
export function decideMerge(incident: IncidentFacts, targetId: number, target: MergeTarget | null, actor: Actor, maxDistanceM: number): Decision {
  const own = decide(incident, 'merge', actor);
  if (!own.ok) return own;
  const conflict = (message: string): Decision => ({ ok: false, code: ErrorCode.Conflict, message });
  if (targetId === incident.id) return conflict(`incident ${incident.id} cannot be merged into itself`);
  if (target === null || !canSee(actor, target.facts)) return { ok: false, code: ErrorCode.NotFound, message: `incident ${targetId} does not exist` };
  if (!ACTIVE.includes(target.facts.state)) {
    return conflict(`incident ${targetId} is ${target.facts.state}: a report can only be merged into an incident that is ${ACTIVE.join(', ')}`);
  }
  if (target.distanceM !== null && target.distanceM > maxDistanceM) {
    return conflict(`incident ${targetId} is ${Math.round(target.distanceM)} m from incident ${incident.id}: only incidents at most ${maxDistanceM} m apart can be merged`);
  }
  return own;
}

/** A photo goes where a comment may: the same people, the same states; only its step differs. */
export function decidePhoto(incident: IncidentFacts, actor: Actor): Decision {
  const asComment = decide(incident, 'comment', actor);
  return asComment.ok ? { ...asComment, step: 'photo_added' } : asComment;
}

const EARTH_RADIUS_M = 6_371_008.8;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance (haversine): metres matter here, not the Earth's flattening. */
export function metresBetween(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

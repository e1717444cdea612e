import {
  AREA_LEVELS,
  INCIDENT_ACTION_ROLES,
  INCIDENT_TRANSITIONS,
  MERGEABLE_SOURCES,
  type AreaRef,
  type Deadline,
  type IncidentAction,
  type IncidentDto,
  type IncidentState,
  type Role,
  type UserDto,
} from '@ioc/contracts';
import { metresBetween, type Place } from '../geo/distance';

export interface IncidentsState {
  /** Incidents still to handle: everything but closed. */
  byId: Record<number, IncidentDto>;
  /** Newest `updatedAt` heard of, closed incidents included: where a catch-up starts. */
  newest: string | null;
  /** Whether a first list has arrived; until then a (re)connect loads the list, not a catch-up. */
  loaded: boolean;
}

export type IncidentsAction =
  | { type: 'incidents-loaded'; incidents: IncidentDto[] }
  | { type: 'incident-changed'; incident: IncidentDto }
  | { type: 'incident-withdrawn'; id: number };

export const initialIncidentsState: IncidentsState = { byId: {}, newest: null, loaded: false };

/** How far before the newest change a catch-up asks from: steps committing out of order are not missed. */
export const CATCH_UP_MARGIN_MS = 5_000;

function merge(state: IncidentsState, incidents: IncidentDto[]): IncidentsState {
  let byId: Record<number, IncidentDto> | null = null;
  let newest = state.newest;
  for (const incident of incidents) {
    if (newest === null || incident.updatedAt > newest) newest = incident.updatedAt;
    const held = (byId ?? state.byId)[incident.id];
    // A list fetched before an event must not roll the incident back.
    if (held && held.updatedAt > incident.updatedAt) continue;
    byId ??= { ...state.byId };
    if (incident.state === 'closed') delete byId[incident.id];
    else byId[incident.id] = incident;
  }
  return byId === null && newest === state.newest ? state : { ...state, byId: byId ?? state.byId, newest };
}

export function incidentsReducer(state: IncidentsState, action: IncidentsAction): IncidentsState {
  switch (action.type) {
    case 'incidents-loaded':
      return { ...merge(state, action.incidents), loaded: true };
    case 'incident-changed':
      return merge(state, [action.incident]);
    case 'incident-withdrawn': {
      if (!state.byId[action.id]) return state;
      const byId = { ...state.byId };
      delete byId[action.id];
      return { ...state, byId };
    }
  }
}

/** The `updatedSince` of the next catch-up, or null when the whole list is needed. */
export function catchUpFrom(state: IncidentsState): string | null {
  if (!state.loaded || state.newest === null) return null;
  return new Date(Date.parse(state.newest) - CATCH_UP_MARGIN_MS).toISOString();
}

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;
const STATE_ORDER = { open: 0, acknowledged: 1, dispatched: 2, resolved: 3, closed: 4 } as const;

/** What needs someone first: unacknowledged before the rest, then most severe, then newest. */
export function sortedIncidents(state: IncidentsState): IncidentDto[] {
  return Object.values(state.byId).sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      b.id - a.id,
  );
}

/**
 * The buttons to show: what the user's role may do and the incident's state allows (comments
 * aside). Triage as the server allows it: only a citizen's report is rejected, only a reported
 * incident merged.
 */
export function availableActions(incident: IncidentDto, user: Pick<UserDto, 'role' | 'teamId'>): IncidentAction[] {
  const table = INCIDENT_TRANSITIONS[user.role === 'field' ? 'field' : 'operations'];
  if (user.role === 'field' && incident.teamId !== user.teamId) return [];
  return (['acknowledge', 'dispatch', 'resolve', 'close', 'reject', 'merge'] as const).filter((action) => {
    const transition = table[action];
    if (!transition || !mayCall(user.role, action)) return false;
    if (transition.step === 'on_site' && incident.onSiteAt !== null) return false;
    if (action === 'reject' && incident.source !== 'citizen') return false;
    if (action === 'merge' && !MERGEABLE_SOURCES.includes(incident.source)) return false;
    return transition.from.includes(incident.state);
  });
}

/** Whether the user may add a photo: where they may comment, as the server decides. */
export function mayAddPhoto(incident: IncidentDto, user: Pick<UserDto, 'role' | 'teamId'>): boolean {
  if (!mayCall(user.role, 'comment')) return false;
  if (user.role === 'field' && incident.teamId !== user.teamId) return false;
  const transition = INCIDENT_TRANSITIONS[user.role === 'field' ? 'field' : 'operations'].comment;
  return transition !== undefined && transition.from.includes(incident.state);
}

/**
 * Whether a card looks for photos: a report may come with the citizen's, and a team sent out may
 * add its own. Other incidents (a rule's, never dispatched) are not asked for them.
 */
export function mayHavePhotos(incident: IncidentDto): boolean {
  return incident.source !== 'rule' || incident.dispatchedAt !== null;
}

/** The most specific area a reported place is in, by name; null when it is in none the console knows. */
export function placeAreaName(incident: IncidentDto, areas: readonly AreaRef[]): string | null {
  let best: AreaRef | null = null;
  for (const id of incident.areaIds) {
    const area = areas.find((a) => a.id === id);
    if (area && (best === null || AREA_LEVELS.indexOf(area.level) > AREA_LEVELS.indexOf(best.level))) best = area;
  }
  return best?.name ?? null;
}

/** Incidents a report may go into: those still being handled. */
const MERGE_TARGET_STATES: readonly IncidentState[] = ['open', 'acknowledged', 'dispatched'];

export interface MergeCandidate {
  incident: IncidentDto;
  /** How far from the report; null when either place is unknown. */
  distanceM: number | null;
}

/** Where an incident is: the place reported, or its device's. */
export function incidentPlace(incident: IncidentDto, devicePlaces: Readonly<Record<string, Place>>): Place | null {
  if (incident.location !== null) return incident.location;
  return incident.deviceId === null ? null : (devicePlaces[incident.deviceId] ?? null);
}

/** The active incidents a report could repeat, nearest first (those of unknown place last), at most `limit`. */
export function mergeCandidates(
  report: IncidentDto,
  incidents: readonly IncidentDto[],
  devicePlaces: Readonly<Record<string, Place>>,
  limit = 5,
): MergeCandidate[] {
  const from = incidentPlace(report, devicePlaces);
  return incidents
    .filter((other) => other.id !== report.id && MERGE_TARGET_STATES.includes(other.state))
    .map((other) => {
      const to = incidentPlace(other, devicePlaces);
      return { incident: other, distanceM: from === null || to === null ? null : metresBetween(from, to) };
    })
    .sort((a, b) => (a.distanceM ?? Infinity) - (b.distanceM ?? Infinity) || b.incident.id - a.incident.id)
    .slice(0, limit);
}

export interface IncidentGroup {
  /** The area the rule groups its devices by; null when the incident is not grouped by area. */
  areaName: string | null;
  deviceCount: number;
}

/** What an incident gathering several devices covers; null for one device's incident, whose title names it. */
export function incidentGroup(incident: IncidentDto, areas: readonly AreaRef[]): IncidentGroup | null {
  const { groupAreaId, deviceIds } = incident;
  if (groupAreaId === null && deviceIds.length <= 1) return null;
  // An area the console does not know (added since it loaded) still shows, by its id.
  const areaName = groupAreaId === null ? null : (areas.find((area) => area.id === groupAreaId)?.name ?? groupAreaId);
  return { areaName, deviceCount: deviceIds.length };
}

const mayCall = (role: Role, action: IncidentAction) => INCIDENT_ACTION_ROLES[action].includes(role);

export interface PendingDeadline {
  deadline: Deadline;
  /** ISO-8601 */
  dueAt: string;
  breached: boolean;
}

/** The deadline an incident is held to now: acknowledging while it is open, then resolving; null once resolved or without one. */
export function pendingDeadline(incident: IncidentDto): PendingDeadline | null {
  if (incident.state === 'open' && incident.acknowledgeDueAt !== null) {
    return { deadline: 'acknowledge', dueAt: incident.acknowledgeDueAt, breached: incident.acknowledgeBreachedAt !== null };
  }
  if ((incident.state === 'acknowledged' || incident.state === 'dispatched') && incident.resolveDueAt !== null) {
    return { deadline: 'resolve', dueAt: incident.resolveDueAt, breached: incident.resolveBreachedAt !== null };
  }
  return null;
}

import { ROUTED_STEPS, type EmailRule, type IncidentDto, type NotificationRouteDto, type Role, type RoutedStep } from '@ioc/contracts';
import type { IncidentChangeInput } from '../incident-change';

/** What choosing recipients needs of a route. */
export type RouteChoice = Pick<
  NotificationRouteDto,
  'id' | 'enabled' | 'steps' | 'severities' | 'areaIds' | 'sources' | 'categories' | 'roles' | 'teamIds'
>;

/** What choosing recipients needs of a user. */
export interface Candidate {
  id: number;
  role: Role;
  teamId: number | null;
  email: string | null;
  disabled: boolean;
}

/** One address to email about one change, and why. */
export interface Recipient {
  userId: number;
  address: string;
  /** The routes that chose this user, ascending. */
  routeIds: number[];
  rules: EmailRule[];
}

/** Whose users may be concerned: what the users' query narrows to. */
export interface Audience {
  roles: Role[];
  teamIds: number[];
}

const ROUTED = new Set<string>(ROUTED_STEPS);

/** Whether people can be emailed of this step at all (by a route or a rule). */
export const isRoutedStep = (step: string): step is RoutedStep => ROUTED.has(step);

/** Whether the route asks for this change of this incident; an empty filter matches anything. */
export function routeMatches(route: RouteChoice, { incident: i, entry }: IncidentChangeInput): boolean {
  return (
    route.enabled &&
    (route.steps as string[]).includes(entry.step) &&
    (route.severities.length === 0 || route.severities.includes(i.severity)) &&
    (route.areaIds.length === 0 || route.areaIds.some((a) => i.areaIds.includes(a))) &&
    (route.sources.length === 0 || route.sources.includes(i.source)) &&
    (route.categories.length === 0 || (i.category !== null && route.categories.includes(i.category)))
  );
}

/** Who is told without a route: a dispatch's team, an escalation's roles. */
function ruleAudience({ entry }: IncidentChangeInput): { rule: EmailRule; roles: Role[]; teamIds: number[] } | null {
  if (entry.step === 'dispatched' && entry.teamId !== null) return { rule: 'dispatched_team', roles: [], teamIds: [entry.teamId] };
  if (entry.step === 'escalated' && entry.notifyRoles?.length) return { rule: 'escalation', roles: entry.notifyRoles, teamIds: [] };
  return null;
}

/**
 * The roles and teams whose users the matching routes and the rules name; null: nobody, so no
 * user need be read.
 */
export function audienceOf(change: IncidentChangeInput, routes: readonly RouteChoice[]): Audience | null {
  const roles = new Set<Role>();
  const teamIds = new Set<number>();
  const rule = ruleAudience(change);
  for (const source of [...routes.filter((r) => routeMatches(r, change)), ...(rule ? [rule] : [])]) {
    source.roles.forEach((r) => roles.add(r));
    source.teamIds.forEach((t) => teamIds.add(t));
  }
  return roles.size + teamIds.size === 0 ? null : { roles: [...roles], teamIds: [...teamIds] };
}

/** A field user sees only the incidents dispatched to their team, and is told of no other. */
const maySee = (user: Candidate, incident: IncidentDto) => user.role !== 'field' || (user.teamId !== null && user.teamId === incident.teamId);

/**
 * Who is emailed of a change: the users of the roles and teams of every route it matches, the
 * field users of the team it is dispatched to, the users of the roles an escalation names. Each
 * address once, however many reasons; never a user without an address, a disabled one, one who
 * may not see the incident, or the one who made the change.
 */
export function resolveRecipients(change: IncidentChangeInput, routes: readonly RouteChoice[], users: readonly Candidate[]): Recipient[] {
  const { incident, entry } = change;
  const byAddress = new Map<string, Recipient>();
  const tell = (user: Candidate, reason: { routeId: number } | { rule: EmailRule }) => {
    if (user.email === null || user.disabled || user.id === entry.actor?.id || !maySee(user, incident)) return;
    const key = user.email.trim().toLowerCase();
    let recipient = byAddress.get(key);
    if (!recipient) {
      recipient = { userId: user.id, address: user.email.trim(), routeIds: [], rules: [] };
      byAddress.set(key, recipient);
    }
    if ('routeId' in reason) {
      if (!recipient.routeIds.includes(reason.routeId)) recipient.routeIds.push(reason.routeId);
    } else if (!recipient.rules.includes(reason.rule)) {
      recipient.rules.push(reason.rule);
    }
  };
  const ordered = [...users].sort((a, b) => a.id - b.id);
  const rule = ruleAudience(change);
  if (rule) {
    for (const user of ordered) {
      const named = rule.rule === 'dispatched_team' ? user.role === 'field' && rule.teamIds.includes(user.teamId ?? -1) : rule.roles.includes(user.role);
      if (named) tell(user, { rule: rule.rule });
    }
  }
  for (const route of [...routes].sort((a, b) => a.id - b.id)) {
    if (!routeMatches(route, change)) continue;
    for (const user of ordered) {
      if (route.roles.includes(user.role) || (user.teamId !== null && route.teamIds.includes(user.teamId))) tell(user, { routeId: route.id });
    }
  }
  return [...byAddress.values()].sort((a, b) => a.userId - b.userId);
}

import type { IncidentDto, IncidentTimelineEntryDto } from '@ioc/contracts';
import { entryFixture, incidentFixture } from '../../../../test/support/incidents';
import type { IncidentChangeInput } from '../incident-change';
import { audienceOf, resolveRecipients, routeMatches, type Candidate, type RouteChoice } from './recipients';

const INCIDENT = incidentFixture({ id: 7, areaIds: ['phuong-10', 'my-tho', 'tien-giang'], severity: 'critical' });

const entry = (step: IncidentTimelineEntryDto['step'], extra: Partial<IncidentTimelineEntryDto> = {}) => entryFixture(step, { id: 1, ...extra });

const change = (step: IncidentTimelineEntryDto['step'], incident: Partial<IncidentDto> = {}, extra: Partial<IncidentTimelineEntryDto> = {}): IncidentChangeInput => ({
  incident: { ...INCIDENT, ...incident },
  entry: entry(step, extra),
});

const route = (id: number, r: Partial<RouteChoice>): RouteChoice => ({
  id,
  enabled: true,
  steps: ['opened'],
  severities: [],
  areaIds: [],
  sources: [],
  categories: [],
  roles: [],
  teamIds: [],
  ...r,
});

const USERS: Candidate[] = [
  { id: 1, role: 'admin', teamId: null, email: 'admin@ioc.vn', disabled: false },
  { id: 2, role: 'supervisor', teamId: null, email: 'truongca@ioc.vn', disabled: false },
  { id: 3, role: 'supervisor', teamId: null, email: null, disabled: false },
  { id: 4, role: 'supervisor', teamId: null, email: 'nghiviec@ioc.vn', disabled: true },
  { id: 5, role: 'operator', teamId: null, email: 'canbotruc@ioc.vn', disabled: false },
  { id: 6, role: 'field', teamId: 10, email: 'mytho1@ioc.vn', disabled: false },
  { id: 7, role: 'field', teamId: 10, email: 'mytho2@ioc.vn', disabled: false },
  { id: 8, role: 'field', teamId: 20, email: 'goicong@ioc.vn', disabled: false },
  { id: 9, role: 'operator', teamId: 10, email: 'Truongca@IOC.vn', disabled: false },
  { id: 10, role: 'viewer', teamId: null, email: 'xem@ioc.vn', disabled: false },
];

const addresses = (c: IncidentChangeInput, routes: RouteChoice[]) => resolveRecipients(c, routes, USERS).map((r) => r.address);

describe('which routes a change matches', () => {
  it('matches its steps, and each filter when set; an empty filter is any', () => {
    const c = change('opened');
    expect(routeMatches(route(1, {}), c)).toBe(true);
    expect(routeMatches(route(1, { steps: ['acknowledged'] }), c)).toBe(false);
    expect(routeMatches(route(1, { severities: ['critical', 'warning'] }), c)).toBe(true);
    expect(routeMatches(route(1, { severities: ['warning'] }), c)).toBe(false);
    expect(routeMatches(route(1, { areaIds: ['cai-be', 'my-tho'] }), c)).toBe(true);
    expect(routeMatches(route(1, { areaIds: ['cai-be'] }), c)).toBe(false);
    expect(routeMatches(route(1, { sources: ['citizen', 'manual'] }), c)).toBe(false);
    expect(routeMatches(route(1, { sources: ['rule'] }), c)).toBe(true);
    expect(routeMatches(route(1, { categories: ['flooding'] }), c)).toBe(false);
    expect(routeMatches(route(1, { categories: ['salinity'] }), c)).toBe(true);
    expect(routeMatches(route(1, { enabled: false }), c)).toBe(false);
  });

  it('takes an incident without a category only in a route without a category filter', () => {
    const c = change('opened', { category: null });
    expect(routeMatches(route(1, { categories: ['salinity'] }), c)).toBe(false);
    expect(routeMatches(route(1, {}), c)).toBe(true);
  });
});

describe('who is emailed of a change', () => {
  it('tells the users of a route\'s roles, skipping those without an address and the disabled', () => {
    expect(addresses(change('opened'), [route(1, { roles: ['supervisor'] })])).toEqual(['truongca@ioc.vn']);
  });

  it('emails an address once however many routes name its user, with every reason', () => {
    const routes = [route(2, { roles: ['supervisor', 'admin'] }), route(1, { roles: ['supervisor'], severities: ['critical'] })];
    expect(resolveRecipients(change('opened'), routes, USERS)).toEqual([
      { userId: 1, address: 'admin@ioc.vn', routeIds: [2], rules: [] },
      { userId: 2, address: 'truongca@ioc.vn', routeIds: [1, 2], rules: [] },
    ]);
  });

  it('emails one address once even when two users share it', () => {
    expect(addresses(change('opened'), [route(1, { roles: ['supervisor'], teamIds: [10] })])).toEqual(['truongca@ioc.vn']);
  });

  it('tells nobody of a change no route asks for', () => {
    expect(addresses(change('acknowledged'), [route(1, { roles: ['supervisor'] })])).toEqual([]);
    expect(addresses(change('opened', { severity: 'info' }), [route(1, { roles: ['supervisor'], severities: ['critical'] })])).toEqual([]);
    expect(audienceOf(change('acknowledged'), [route(1, { roles: ['supervisor'] })])).toBeNull();
  });

  it('tells the field users of the team an incident is dispatched to, without a route, and no other team', () => {
    const dispatched = change('dispatched', { state: 'dispatched', teamId: 10 }, { teamId: 10, teamName: 'Tổ Mỹ Tho', actor: { id: 5, username: 'canbotruc' } });
    expect(resolveRecipients(dispatched, [], USERS)).toEqual([
      { userId: 6, address: 'mytho1@ioc.vn', routeIds: [], rules: ['dispatched_team'] },
      { userId: 7, address: 'mytho2@ioc.vn', routeIds: [], rules: ['dispatched_team'] },
    ]);
    expect(audienceOf(dispatched, [])).toEqual({ roles: [], teamIds: [10] });
  });

  it('tells the users of the roles an escalation names, without a route', () => {
    const escalated = change('escalated', {}, { level: 1, notifyRoles: ['supervisor', 'admin'] });
    expect(resolveRecipients(escalated, [], USERS)).toEqual([
      { userId: 1, address: 'admin@ioc.vn', routeIds: [], rules: ['escalation'] },
      { userId: 2, address: 'truongca@ioc.vn', routeIds: [], rules: ['escalation'] },
    ]);
    expect(audienceOf(escalated, [])).toEqual({ roles: ['supervisor', 'admin'], teamIds: [] });
  });

  it('tells field users only of incidents dispatched to their team, whatever the route says', () => {
    const routes = [route(1, { steps: ['opened', 'resolved'], roles: ['field'] }), route(2, { steps: ['opened', 'resolved'], teamIds: [20] })];
    expect(addresses(change('opened'), routes)).toEqual([]);
    expect(addresses(change('resolved', { state: 'resolved', teamId: 20 }), routes)).toEqual(['goicong@ioc.vn']);
    const escalatedToField = change('escalated', { teamId: 10 }, { level: 1, notifyRoles: ['field'] });
    expect(addresses(escalatedToField, [])).toEqual(['mytho1@ioc.vn', 'mytho2@ioc.vn']);
  });

  it('does not tell people of what they did themselves', () => {
    const acknowledged = change('acknowledged', { state: 'acknowledged' }, { actor: { id: 2, username: 'truongca' } });
    expect(addresses(acknowledged, [route(1, { steps: ['acknowledged'], roles: ['supervisor', 'viewer'] })])).toEqual(['xem@ioc.vn']);
  });

  it('narrows the users to read to the roles and teams that matter', () => {
    const routes = [route(1, { roles: ['supervisor'] }), route(2, { teamIds: [20], roles: ['viewer'] }), route(3, { steps: ['closed'], roles: ['admin'] })];
    expect(audienceOf(change('opened'), routes)).toEqual({ roles: ['supervisor', 'viewer'], teamIds: [20] });
  });
});

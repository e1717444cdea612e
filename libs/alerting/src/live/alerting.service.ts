import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AREA_LEVELS, type AlertRuleDefinition, type DeviceEvent, type DeviceStatusUpdate, type RuleDto } from '@ioc/contracts';
import { EventBus, Periodic, type ResolvedSample } from '@ioc/common';
import { AreasService } from '@ioc/areas';
import { DevicesService, type DeviceRecord } from '@ioc/devices';
import type { AlertInput } from '../input';
import { firingFacts, renderMessages } from '../message';
import { evaluateRule, initialRuleState, restoreRuleState, type RuleState, type RuleTransition } from '../rule';
import { conditionKey, inputKey, RuleIndex, type IndexableRule } from '../rule-index';
import { inhibitorOf, silenceFor } from '../suppression';
import { HistoryInputs } from '../history-inputs';
import { AlertsRepository, type Hold, type IncidentTarget, type SavedState, type Written } from './alerts.repository';
import { SilencesService } from './silences.service';
import { WakeQueue } from './wake-queue';

/** A rule as the live index holds it. */
export interface LiveRule extends IndexableRule {
  id: number;
  version: number;
  definition: AlertRuleDefinition;
}

/** One rule watching one device. */
interface Watch {
  rule: LiveRule;
  deviceId: string;
  state: RuleState;
  wakeAt: number | null;
  /** The phase (active, next wake-up) as last saved: a change of phase is saved, a sample alone is not. */
  savedPhase: string;
}

const SAVE_EVERY_MS = 1000;
/** How long a device back online has to bring its children back before their held-back alerts count. */
const INHIBITION_GRACE_MS = 60_000;
/** A timer further out is re-armed on waking: Node's timers stop at about 24.8 days. */
const MAX_TIMER_MS = 3_600_000;
/** A transition the database refused is tried again this many times, waiting 1, 2, 4 ... s. */
const WRITE_ATTEMPTS = 6;
/** Conditions a timer fires for a device that may never send anything: every device in scope is watched from the start. */
const SILENT_KINDS = new Set(['no_data', 'offline']);
/** The input keys of a rule's conditions that fire on the clock alone. */
const silentKeys = (rule: LiveRule) => rule.definition.conditions.filter((c) => SILENT_KINDS.has(c.kind)).map(conditionKey);

/**
 * What is saved without a transition: firing or not, waiting on the clock or not. The time of a
 * wake-up alone (no_data moves it with every reading) is not worth a write: warmUp reads it back.
 */
const phase = (w: Pick<Watch, 'state' | 'wakeAt'>) => `${w.state.active}|${w.wakeAt !== null}`;

const watchesNoData = (rule: LiveRule) => rule.definition.conditions.some((c) => c.kind === 'no_data');

/** Area grouping: the rule's area, one incident for all its devices; null: one incident per device. */
const groupAreaOf = (d: AlertRuleDefinition) => (d.grouping === 'area' && d.scope.type === 'area' ? d.scope.areaId : null);

export function toLiveRule(rule: RuleDto): LiveRule {
  const { id, version, createdAt: _c, updatedAt: _u, updatedBy: _b, ...definition } = rule;
  return { id, version, definition };
}

/** Whether two versions of a rule evaluate alike, so what was known under one holds for the other. */
function evaluatesAlike(a: AlertRuleDefinition, b: AlertRuleDefinition): boolean {
  const part = (d: AlertRuleDefinition) => JSON.stringify([d.enabled, d.scope, d.conditions, d.combine, d.grouping]);
  return part(a) === part(b);
}

/**
 * The live side of alerting: every enabled rule evaluated on the stream (samples, camera events,
 * status changes) and on the clock, per (rule, device), with the pure evaluators. A transition is
 * written with its alert and incident in one transaction, in order per incident group, then
 * announced. States are saved when their phase changes, so a restart neither fires twice nor
 * forgets a pending `for` or a timer.
 */
@Injectable()
export class AlertingService implements OnModuleDestroy {
  private readonly logger = new Logger(AlertingService.name);
  private readonly rules = new Map<number, LiveRule>();
  private readonly index: RuleIndex<LiveRule>;
  /** deviceId -> ruleId -> watch. */
  private readonly watches = new Map<string, Map<number, Watch>>();
  private readonly wakeups = new WakeQueue<Watch>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt: number | null = null;
  /** Database work per incident group, in order: a clear never overtakes the fire it ends. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly unsaved = new Set<Watch>();
  /** Every second: states whose phase changed are saved, and silences that ended let go of what they held. */
  private readonly saver = new Periodic(() => this.everySecond());
  /**
   * Devices back online, and when their grace ends: their held-back alerts are then looked at
   * again, all of that second's in one query (a broker restart brings back every device at once).
   */
  private readonly returning = new Map<string, number>();
  private readonly unsubscribers: (() => void)[] = [];
  /** Only a node that takes the samples in evaluates rules. */
  private running = false;

  constructor(
    private readonly alerts: AlertsRepository,
    private readonly silences: SilencesService,
    private readonly devices: DevicesService,
    private readonly areas: AreasService,
    private readonly history: HistoryInputs,
    private readonly bus: EventBus,
  ) {
    this.index = new RuleIndex<LiveRule>([], (id) => this.devices.get(id));
  }

  /** Called once the rules are loaded (RulesService), before any input. */
  async start(rules: readonly RuleDto[]): Promise<void> {
    this.running = true;
    await this.silences.load();
    for (const rule of rules) this.rules.set(rule.id, toLiveRule(rule));
    this.index.setRules([...this.rules.values()]);
    const now = Date.now();
    let restored = 0;
    for (const saved of await this.alerts.loadStates()) {
      const rule = this.rules.get(saved.ruleId);
      if (!rule || rule.version !== saved.ruleVersion || !rule.definition.enabled) continue;
      const state = restoreRuleState(rule.definition, saved.state);
      const w = this.watch(rule, saved.deviceId, now, state);
      w.savedPhase = phase({ state, wakeAt: saved.wakeAt });
      this.schedule(w, saved.wakeAt);
      restored++;
    }
    await this.adoptOpenAlerts();
    for (const rule of this.rules.values()) this.watchSilentDevices(rule, now);
    await this.warmUp(now);
    // Holds that ended while the server was down.
    await this.recheckHeld({});
    this.unsubscribers.push(
      this.bus.on('samples.accepted', (samples) => this.onSamples(samples)),
      this.bus.on('event.accepted', (event) => this.onEvent(event)),
      this.bus.on('device.status', (update) => this.onStatus(update)),
      this.bus.on('device.upserted', (device) => this.onDeviceChanged(device.id)),
      this.bus.on('device.removed', (id) => this.onDeviceRemoved(id)),
    );
    this.saver.start(SAVE_EVERY_MS);
    this.logger.log(`${this.rules.size} rules, ${restored} states restored`);
  }

  async onModuleDestroy(): Promise<void> {
    for (const off of this.unsubscribers) off();
    if (this.timer) clearTimeout(this.timer);
    this.returning.clear();
    await this.saver.stop();
    await this.settled();
    await this.saveChanged();
  }

  /**
   * What a saved state leaves out, read back from storage: each device's newest reading for
   * no_data (saved only when its phase changes, its silence counts from a stale time), and the
   * samples and events still inside the window of rate_of_change and camera_event conditions.
   * Inputs already seen are ignored by the evaluators; a transition they cause is a real one.
   */
  private async warmUp(now: number): Promise<void> {
    const rules = [...this.rules.values()].filter((r) => r.definition.enabled);
    if (rules.some(watchesNoData)) {
      for (const device of await this.devices.list()) {
        for (const w of this.watches.get(device.id)?.values() ?? []) {
          for (const c of w.rule.definition.conditions) {
            if (c.kind !== 'no_data') continue;
            const newest = device.latest[c.metric];
            if (newest) this.step(w, { type: 'sample', metric: c.metric, value: newest.value, time: Date.parse(newest.ts) });
          }
        }
      }
    }
    for (const rule of rules) {
      const windowS = Math.max(0, ...rule.definition.conditions.map((c) => (c.kind === 'rate_of_change' || c.kind === 'camera_event' ? c.windowS : 0)));
      if (windowS === 0) continue;
      const devices = this.history.devicesInScope(rule.definition);
      await this.history.forEachDevice(rule.definition, devices, new Date(now - windowS * 1000), new Date(now), (device, inputs) => {
        const w = this.watches.get(device.id)?.get(rule.id) ?? this.watch(rule, device.id, now);
        for (const input of inputs) this.step(w, input);
      });
    }
  }

  /** A rule created or changed: watches that still evaluate alike keep their state; the others clear and start afresh. */
  async ruleSaved(rule: RuleDto): Promise<void> {
    if (!this.running) return;
    const live = toLiveRule(rule);
    const previous = this.rules.get(rule.id);
    this.rules.set(rule.id, live);
    const alike = previous !== undefined && evaluatesAlike(previous.definition, live.definition);
    const drops: Promise<void>[] = [];
    for (const w of this.watchesOf(rule.id)) {
      if (alike) w.rule = live;
      else drops.push(this.drop(w));
    }
    await Promise.all(drops);
    if (alike) await this.alerts.carryStates(rule.id, rule.version);
    else if (previous) await this.alerts.forgetStates(rule.id);
    this.index.setRules([...this.rules.values()]);
    this.watchSilentDevices(live, Date.now());
  }

  /** A rule deleted: its open alerts clear. */
  ruleDeleted(id: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    const drops = this.watchesOf(id).map((w) => this.drop(w));
    this.rules.delete(id);
    this.index.setRules([...this.rules.values()]);
    return Promise.all(drops).then(() => undefined);
  }

  /** Waits for the writes of every transition so far, those they lead to included. */
  async settled(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private onSamples(samples: readonly ResolvedSample[]): void {
    for (const s of samples) this.feed(s.deviceId, { type: 'sample', metric: s.metric, value: s.value, time: s.ts });
  }

  private onEvent(e: DeviceEvent): void {
    this.feed(e.deviceId, { type: 'event', eventType: e.type, confidence: e.confidence, time: e.ts });
  }

  private onStatus(u: DeviceStatusUpdate): void {
    this.feed(u.deviceId, { type: 'status', online: u.status === 'online', time: Date.parse(u.at) });
    this.returning.delete(u.deviceId);
    // A gateway back reports for its children within moments: their alerts are released only if they still fire after.
    if (u.status === 'online') this.returning.set(u.deviceId, Date.now() + INHIBITION_GRACE_MS);
  }

  private feed(deviceId: string, input: AlertInput): void {
    const key = inputKey(input)!;
    const candidates = this.index.candidates(deviceId, key);
    if (candidates.length === 0) return;
    const perDevice = this.watches.get(deviceId);
    for (const rule of candidates) this.step(perDevice?.get(rule.id) ?? this.watch(rule, deviceId, input.time), input);
  }

  private watch(rule: LiveRule, deviceId: string, startedAt: number, state?: RuleState): Watch {
    const w: Watch = { rule, deviceId, state: state ?? initialRuleState(rule.definition, startedAt), wakeAt: null, savedPhase: '' };
    w.savedPhase = phase(w);
    let perDevice = this.watches.get(deviceId);
    if (!perDevice) this.watches.set(deviceId, (perDevice = new Map()));
    perDevice.set(rule.id, w);
    return w;
  }

  private step(w: Watch, input: AlertInput): void {
    const result = evaluateRule(w.rule.definition, w.state, input);
    w.state = result.state;
    // A wake-up at or before the input just taken has nothing due then: it would tick forever.
    this.schedule(w, result.wakeAt !== null && result.wakeAt > input.time ? result.wakeAt : null);
    if (result.transitions.length > 0) {
      for (const t of result.transitions) void this.transition(w, t);
      if (watchesNoData(w.rule)) this.devices.setStale(w.deviceId, this.anyNoDataFiring(w.deviceId));
    } else if (phase(w) !== w.savedPhase) {
      this.unsaved.add(w);
    }
  }

  private schedule(w: Watch, wakeAt: number | null): void {
    if (wakeAt === w.wakeAt) return;
    w.wakeAt = wakeAt;
    if (wakeAt === null) return;
    this.wakeups.push(wakeAt, w);
    this.arm();
  }

  private arm(): void {
    const next = this.wakeups.peek();
    if (next === null || (this.timerAt !== null && this.timerAt <= next)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.wake(), Math.min(Math.max(0, next - Date.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  /** The clock: every watch due is ticked at its own due time. */
  private wake(): void {
    this.timer = null;
    this.timerAt = null;
    for (const { at, key: w } of this.wakeups.popDue(Date.now())) {
      // A watch rescheduled or dropped since is skipped: its newer wake-up is queued too.
      if (w.wakeAt !== at || this.watches.get(w.deviceId)?.get(w.rule.id) !== w) continue;
      w.wakeAt = null;
      this.step(w, { type: 'tick', time: at });
    }
    this.arm();
  }

  private saved(w: Watch): SavedState {
    w.savedPhase = phase(w);
    this.unsaved.delete(w);
    return { ruleId: w.rule.id, deviceId: w.deviceId, ruleVersion: w.rule.version, state: w.state, wakeAt: w.wakeAt };
  }

  /** `dropped`: the watch is gone, and so is its saved state. */
  private transition(w: Watch, t: RuleTransition, dropped = false): Promise<void> {
    const device = this.devices.get(w.deviceId);
    const { rule } = w;
    const { definition } = rule;
    const group = groupAreaOf(definition) ?? w.deviceId;
    const state = dropped ? null : this.saved(w);
    if (t.type === 'clear') {
      return this.inOrder(rule.id, group, `clear ${rule.id} on ${w.deviceId}`, async () => {
        const written = await this.alerts.clear({ ruleId: rule.id, deviceId: w.deviceId, at: new Date(t.at), state });
        if (written) this.announce(written, null);
      });
    }
    if (!device || !state) return Promise.resolve();
    const value = t.value ?? null;
    const facts = firingFacts(definition.conditions[t.condition], value);
    const place = this.placeOf(device.areaIds);
    const message = renderMessages(definition.messages, { device: device.name, metric: facts.metric, value, threshold: facts.threshold, place });
    const hold = this.holdOf(rule, device);
    return this.inOrder(rule.id, group, `fire ${rule.id} on ${w.deviceId}`, async () => {
      const written = await this.alerts.fire({ ...this.targetOf(rule, device), metric: facts.metric, value, message, at: new Date(t.at), state, hold });
      if (written) this.announce(written, device);
    });
  }

  private targetOf(rule: LiveRule, device: DeviceRecord): IncidentTarget {
    const { definition } = rule;
    const groupAreaId = groupAreaOf(definition);
    const groupName = groupAreaId === null ? device.name : (this.areas.refs([groupAreaId])[0]?.name ?? groupAreaId);
    return {
      rule: {
        id: rule.id,
        version: rule.version,
        name: definition.name,
        severity: definition.severity,
        dampingS: definition.dampingS,
        minNotifyIntervalS: definition.minNotifyIntervalS,
        deadlines: definition.deadlines,
        category: definition.category,
      },
      deviceId: device.id,
      groupAreaId,
      areaIds: device.areaIds,
      title: `${definition.name} · ${groupName}`,
    };
  }

  /** A silence over the rule or the device, or an offline gateway (or the device itself) that explains the alert. */
  private holdOf(rule: LiveRule, device: DeviceRecord): Hold {
    const silence = silenceFor(this.silences.windows(), rule.id, device, Date.now());
    const { conditions } = rule.definition;
    // no_data and offline, the kinds an outage explains, are always a rule's only condition.
    const kind = conditions.length === 1 ? conditions[0].kind : 'threshold';
    const gateway = device.gatewayId === null ? undefined : this.devices.get(device.gatewayId);
    return { silenceId: silence?.id ?? null, inhibitedBy: inhibitorOf(kind, device, gateway ?? null) };
  }

  /**
   * Held-back alerts whose hold may have ended (a silence over, a gateway back): each one whose
   * rule still fires opens or joins its incident now, or stays held by what holds it still.
   */
  private async recheckHeld(by: { silenceId?: number; inhibitedBy?: string[] }): Promise<void> {
    for (const alert of await this.alerts.findHeld(by)) {
      const w = alert.ruleId === null ? undefined : this.watches.get(alert.deviceId)?.get(alert.ruleId);
      const device = this.devices.get(alert.deviceId);
      if (!w?.state.active || !device) continue;
      const hold = this.holdOf(w.rule, device);
      if (hold.silenceId === alert.silenceId && hold.inhibitedBy === alert.inhibitedBy) continue;
      const target = this.targetOf(w.rule, device);
      void this.inOrder(w.rule.id, groupAreaOf(w.rule.definition) ?? device.id, `release alert ${alert.id}`, async () => {
        const written = await this.alerts.release(alert.id, target, hold);
        if (written?.change) this.announce(written, device);
      });
    }
  }

  private announce({ alert, change, opened, notify }: Written, device: DeviceRecord | null): void {
    if (device) this.bus.emit('alert.opened', alert, device);
    else this.bus.emit('alert.resolved', alert);
    if (!change) return;
    if (opened) this.bus.emit('incident.opened', { ...change, notify });
    else this.bus.emit('incident.updated', { ...change, notify }, null);
  }

  /** Work for one incident group after the work before it; a refused write is tried again with back-off. */
  private inOrder(ruleId: number, group: string, what: string, work: () => Promise<void>): Promise<void> {
    const key = `${ruleId}:${group}`;
    const attempt = async () => {
      for (let i = 1; ; i++) {
        try {
          return await work();
        } catch (err) {
          if (i >= WRITE_ATTEMPTS) {
            this.logger.error(`${what} not written after ${i} attempts: ${(err as Error).message}`);
            return;
          }
          await sleep(1000 * 2 ** (i - 1));
        }
      }
    };
    const next = (this.chains.get(key) ?? Promise.resolve()).then(attempt);
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** Removes a watch; its open alert, if any, clears now. */
  private drop(w: Watch): Promise<void> {
    this.watches.get(w.deviceId)?.delete(w.rule.id);
    this.unsaved.delete(w);
    if (w.state.active && watchesNoData(w.rule)) this.devices.setStale(w.deviceId, this.anyNoDataFiring(w.deviceId));
    return w.state.active ? this.transition(w, { type: 'clear', at: Date.now() }, true) : Promise.resolve();
  }

  private watchesOf(ruleId: number): Watch[] {
    const found: Watch[] = [];
    for (const perDevice of this.watches.values()) {
      const w = perDevice.get(ruleId);
      if (w) found.push(w);
    }
    return found;
  }

  /**
   * No data and offline fire on the clock, even for a device that never sends a thing: every
   * device in the rule's scope is watched from now, an offline one from when it was last seen.
   */
  private watchSilentDevices(rule: LiveRule, now: number): void {
    const keys = silentKeys(rule);
    if (!rule.definition.enabled || keys.length === 0) return;
    for (const device of this.devices.all()) this.watchSilentDevice(rule, keys, device, now);
  }

  private watchSilentDevice(rule: LiveRule, keys: readonly string[], device: DeviceRecord, now: number): void {
    if (this.watches.get(device.id)?.has(rule.id) || !this.inScope(rule, device.id, keys)) return;
    const w = this.watch(rule, device.id, now);
    this.step(w, { type: 'tick', time: now });
    if (device.status === 'offline') this.step(w, { type: 'status', online: false, time: device.lastSeen?.getTime() ?? now });
  }

  /**
   * An open alert with no saved state (written before states were kept) is taken as firing, so
   * the first good value clears it instead of leaving it open for ever.
   */
  private async adoptOpenAlerts(): Promise<void> {
    for (const alert of await this.alerts.findAlerts({ state: 'open', limit: 100_000 })) {
      const rule = alert.ruleId === null ? undefined : this.rules.get(alert.ruleId);
      if (!rule || this.watches.get(alert.deviceId)?.has(rule.id)) continue;
      const start = initialRuleState(rule.definition, Date.parse(alert.openedAt));
      this.watch(rule, alert.deviceId, 0, { active: true, conditions: start.conditions.map((c) => ({ ...c, active: true })) });
    }
  }

  /** A device's kind, areas or position changed: its rules are found again, and those no longer in scope let go. */
  private onDeviceChanged(id: string): void {
    this.index.forgetDevice(id);
    const device = this.devices.get(id);
    if (!device) return;
    for (const w of [...(this.watches.get(id)?.values() ?? [])]) {
      if (!this.inScope(w.rule, id, w.rule.definition.conditions.map(conditionKey))) void this.drop(w);
    }
    const now = Date.now();
    for (const rule of this.rules.values()) {
      const keys = silentKeys(rule);
      if (rule.definition.enabled && keys.length > 0) this.watchSilentDevice(rule, keys, device, now);
    }
  }

  /** Whether the index routes any of these keys of the device to the rule. */
  private inScope(rule: LiveRule, deviceId: string, keys: readonly string[]): boolean {
    return keys.some((key) => this.index.candidates(deviceId, key).includes(rule));
  }

  private onDeviceRemoved(id: string): void {
    for (const w of [...(this.watches.get(id)?.values() ?? [])]) void this.drop(w);
    this.watches.delete(id);
    this.index.forgetDevice(id);
  }

  private anyNoDataFiring(deviceId: string): boolean {
    for (const w of this.watches.get(deviceId)?.values() ?? []) if (w.state.active && watchesNoData(w.rule)) return true;
    return false;
  }

  /** Devices a silence over the device or its area (not one rule only) covers at `now`. */
  private inMaintenance(now: number): Set<string> {
    const ids = new Set<string>();
    const areas = new Set<string>();
    for (const s of this.silences.windows()) {
      if (s.ruleId !== null || now < s.startsAt || now >= s.endsAt) continue;
      if (s.deviceId !== null) ids.add(s.deviceId);
      else if (s.areaId !== null) areas.add(s.areaId);
    }
    if (areas.size > 0) for (const d of this.devices.all()) if (d.areaIds.some((a) => areas.has(a))) ids.add(d.id);
    return ids;
  }

  /** The most precise area the device is in, for a message's {place}. */
  private placeOf(areaIds: readonly string[]): string | null {
    const refs = this.areas.refs(areaIds);
    if (refs.length === 0) return null;
    return refs.reduce((a, b) => (AREA_LEVELS.indexOf(b.level) > AREA_LEVELS.indexOf(a.level) ? b : a)).name;
  }

  private async everySecond(): Promise<void> {
    await this.saveChanged();
    this.devices.setMaintenance(this.inMaintenance(Date.now()));
    for (const silence of this.silences.takeEnded(Date.now())) {
      await this.recheckHeld({ silenceId: silence.id }).catch((err: Error) => this.logger.error(`alerts held by silence ${silence.id}: ${err.message}`));
    }
    const back = this.takeReturned(Date.now());
    if (back.length > 0) await this.recheckHeld({ inhibitedBy: back }).catch((err: Error) => this.logger.error(`alerts held by ${back.length} devices back online: ${err.message}`));
  }

  /** Devices whose grace after coming back has passed by `now`. */
  private takeReturned(now: number): string[] {
    const back: string[] = [];
    for (const [deviceId, graceEndsAt] of this.returning) {
      if (graceEndsAt > now) continue;
      back.push(deviceId);
      this.returning.delete(deviceId);
    }
    return back;
  }

  private async saveChanged(): Promise<void> {
    if (this.unsaved.size === 0) return;
    const states = [...this.unsaved].map((w) => this.saved(w));
    try {
      await this.alerts.saveStates(states);
    } catch (err) {
      this.logger.warn(`${states.length} alert states not saved, will try again: ${(err as Error).message}`);
      for (const s of states) {
        const w = this.watches.get(s.deviceId)?.get(s.ruleId);
        if (w) {
          w.savedPhase = '';
          this.unsaved.add(w);
        }
      }
    }
  }
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ListWarningsQuery, PublicWarningDto, PublishWarning, UpdateWarning, WarningContentDto, WarningDto } from '@ioc/contracts';
import { AreasService } from '@ioc/areas';
import type { Principal } from '@ioc/auth';
import { ErrorCode, IocError } from '@ioc/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { atomFeedXml } from './atom/atom-feed';
import { capPolygons } from './cap/cap-polygon';
import { capAlertXml, capReferences } from './cap/cap-xml';
import { warningsFeed } from './warning-feed';
import {
  decideCancel,
  decideUpdate,
  defaultAreaId,
  nextSent,
  referencesOf,
  type Decision,
  type WarningRecord,
} from './warning-lifecycle';
import { capAlertOf, toPublicWarning, toWarning, type Issuer, type OutgoingMessage } from './warning-messages';
import { WarningsRepository, type Actor, type MessageToStore } from './warnings.repository';

/**
 * Publishes incidents as public warnings: every publish, update and cancel is one CAP message,
 * written once and kept as sent; the lists and the feed are read from what was stored.
 */
@Injectable()
export class WarningsService {
  private readonly issuer: Issuer;

  constructor(
    private readonly repository: WarningsRepository,
    private readonly areas: AreasService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.issuer = { sender: config.WARNINGS_SENDER, senderName: config.WARNINGS_SENDER_NAME };
  }

  async publish(incidentId: number, input: PublishWarning, principal: Principal): Promise<WarningDto> {
    const place = await this.repository.incidentPlace(incidentId);
    if (!place) throw new IocError(ErrorCode.NotFound, `incident ${incidentId} does not exist`);
    const areaId = input.areaId ?? defaultAreaId(place, this.areas.list());
    if (areaId === null) throw new IocError(ErrorCode.Invalid, `areaId: incident ${incidentId} is in no known area; name the area to warn`);
    const area = this.area(areaId);
    if (!area) throw new IocError(ErrorCode.Invalid, `areaId: no area ${areaId}`);
    const now = new Date();
    const content: WarningContentDto = {
      type: input.type,
      severity: input.severity,
      urgency: input.urgency,
      certainty: input.certainty,
      vi: input.vi,
      en: input.en,
      area,
      expires: new Date(input.expires).toISOString(),
    };
    const alert = this.message({ identifier: randomUUID(), sent: nextSent(now), msgType: 'Alert', note: null, references: [], content });
    return toWarning(await this.repository.insert(incidentId, alert, actorOf(principal)), now);
  }

  update(id: number, input: UpdateWarning, principal: Principal): Promise<WarningDto> {
    return this.amend(id, principal, (warning, now) => decideUpdate(warning, input, (areaId) => this.area(areaId), now));
  }

  cancel(id: number, reason: string, principal: Principal): Promise<WarningDto> {
    return this.amend(id, principal, (warning) => decideCancel(warning, reason));
  }

  async get(id: number): Promise<WarningDto> {
    const warning = await this.repository.find(id);
    if (!warning) throw notFound(id);
    return toWarning(warning, new Date());
  }

  async list(query: ListWarningsQuery): Promise<WarningDto[]> {
    const now = new Date();
    return (await this.repository.list(query, now)).map((w) => toWarning(w, now));
  }

  async publicList(): Promise<PublicWarningDto[]> {
    const now = new Date();
    return (await this.repository.active(now)).map((w) => toPublicWarning(w, now));
  }

  async atom(): Promise<string> {
    const now = new Date();
    const [active, updated] = await Promise.all([this.repository.active(now), this.repository.feedUpdated(now)]);
    return atomFeedXml(warningsFeed(active, this.issuer, updated ?? now));
  }

  /** The newest CAP message of a warning, whatever its state: a Cancel is news too. */
  async newestCap(id: number): Promise<string> {
    const xml = await this.repository.newestXml(id);
    if (xml === null) throw notFound(id);
    return xml;
  }

  async messageCap(identifier: string): Promise<string> {
    const xml = await this.repository.messageXml(identifier);
    if (xml === null) throw new IocError(ErrorCode.NotFound, `no warning message ${identifier}`);
    return xml;
  }

  private async amend(id: number, principal: Principal, decide: (warning: WarningRecord, now: Date) => Decision): Promise<WarningDto> {
    const now = new Date();
    const result = await this.repository.amend(
      id,
      (warning) => {
        const decision = decide(warning, now);
        if (!decision.ok) return decision;
        const previous = warning.messages[warning.messages.length - 1];
        const message = this.message({
          identifier: randomUUID(),
          sent: nextSent(now, previous?.sent),
          msgType: decision.msgType,
          note: decision.note,
          references: referencesOf(warning.messages),
          content: decision.content,
        });
        return { ok: true, message };
      },
      actorOf(principal),
    );
    if (result === null) throw notFound(id);
    if ('ok' in result) throw new IocError(result.code, result.message);
    return toWarning(result, now);
  }

  /** The message as stored: its CAP XML, written now from the area's outline as it is now. */
  private message(m: OutgoingMessage): MessageToStore {
    const outline = this.areas.list().find((a) => a.id === m.content.area.id);
    const polygons = outline ? capPolygons(outline.geometry) : [];
    return {
      identifier: m.identifier,
      sender: this.issuer.sender,
      sent: m.sent,
      msgType: m.msgType,
      references: m.references.length > 0 ? capReferences(m.references) : null,
      note: m.note,
      content: m.content,
      xml: capAlertXml(capAlertOf(m, this.issuer, polygons)),
    };
  }

  private area(id: string): { id: string; name: string } | null {
    const [ref] = this.areas.refs([id]);
    return ref ? { id: ref.id, name: ref.name } : null;
  }
}

const actorOf = (p: Principal): Actor => ({ id: p.userId, username: p.username });

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `warning ${id} does not exist`);
}

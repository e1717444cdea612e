import type { CapCategory, CapCertainty, CapMessageType, CapSeverity, CapUrgency } from '@ioc/contracts';
import { textElement } from '../xml-text';

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';
export const CAP_MEDIA_TYPE = 'application/cap+xml';

/** Asia/Ho_Chi_Minh has kept UTC+7, without daylight saving, since 1975. */
const VIETNAM_OFFSET_MS = 7 * 3_600_000;

/**
 * A time as CAP 1.2 writes it: whole seconds and a numeric zone, here +07:00
 * (2026-12-03T17:00:00+07:00); CAP allows neither fractions of a second nor "Z".
 */
export function capTime(at: Date): string {
  const wholeSeconds = Math.floor(at.getTime() / 1000) * 1000;
  return `${new Date(wholeSeconds + VIETNAM_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

/** An earlier message, named as CAP's `references` names it. */
export interface CapReference {
  sender: string;
  identifier: string;
  sent: Date;
}

/** CAP `references`: "sender,identifier,sent" of each message, separated by spaces. */
export function capReferences(references: readonly CapReference[]): string {
  return references.map((r) => `${r.sender},${r.identifier},${capTime(r.sent)}`).join(' ');
}

export type CapResponseType = 'Shelter' | 'Evacuate' | 'Prepare' | 'Execute' | 'Avoid' | 'Monitor' | 'Assess' | 'AllClear' | 'None';

export interface CapArea {
  areaDesc: string;
  /** Each "lat,lon lat,lon ...", its first and last points equal (cap-polygon.ts). */
  polygons: readonly string[];
}

export interface CapInfo {
  /** RFC 3066, e.g. vi-VN. */
  language: string;
  category: CapCategory;
  event: string;
  responseType?: CapResponseType;
  urgency: CapUrgency;
  severity: CapSeverity;
  certainty: CapCertainty;
  expires: Date;
  senderName: string;
  headline: string;
  description: string;
  instruction?: string;
  area: CapArea;
}

export interface CapAlert {
  identifier: string;
  sender: string;
  sent: Date;
  msgType: CapMessageType;
  note?: string;
  /** Empty for an Alert; an Update or Cancel names the earlier messages it follows. */
  references: readonly CapReference[];
  info: readonly CapInfo[];
}

/** CAP: identifier and sender "MUST NOT include spaces, commas or restricted characters (< and &)". */
const CAP_TOKEN = /^[^\s,<&]+$/;

function checkToken(what: string, value: string): void {
  if (!CAP_TOKEN.test(value)) throw new Error(`CAP ${what} ${JSON.stringify(value)} must have no spaces, commas, < or &`);
}

/**
 * A CAP 1.2 alert message (OASIS Common Alerting Protocol, namespace urn:oasis:names:tc:emergency:cap:1.2),
 * an actual public message, with its elements in the order the schema requires. Pure.
 */
export function capAlertXml(alert: CapAlert): string {
  checkToken('identifier', alert.identifier);
  checkToken('sender', alert.sender);
  for (const r of alert.references) {
    checkToken('reference identifier', r.identifier);
    checkToken('reference sender', r.sender);
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alert xmlns="${CAP_NAMESPACE}">`,
    textElement(1, 'identifier', alert.identifier),
    textElement(1, 'sender', alert.sender),
    textElement(1, 'sent', capTime(alert.sent)),
    textElement(1, 'status', 'Actual'),
    textElement(1, 'msgType', alert.msgType),
    textElement(1, 'scope', 'Public'),
  ];
  if (alert.note !== undefined) lines.push(textElement(1, 'note', alert.note));
  if (alert.references.length > 0) lines.push(textElement(1, 'references', capReferences(alert.references)));
  for (const info of alert.info) lines.push(...infoLines(info));
  lines.push('</alert>', '');
  return lines.join('\n');
}

function infoLines(info: CapInfo): string[] {
  const lines = [
    '  <info>',
    textElement(2, 'language', info.language),
    textElement(2, 'category', info.category),
    textElement(2, 'event', info.event),
  ];
  if (info.responseType) lines.push(textElement(2, 'responseType', info.responseType));
  lines.push(
    textElement(2, 'urgency', info.urgency),
    textElement(2, 'severity', info.severity),
    textElement(2, 'certainty', info.certainty),
    textElement(2, 'expires', capTime(info.expires)),
    textElement(2, 'senderName', info.senderName),
    textElement(2, 'headline', info.headline),
    textElement(2, 'description', info.description),
  );
  if (info.instruction !== undefined) lines.push(textElement(2, 'instruction', info.instruction));
  lines.push('    <area>', textElement(3, 'areaDesc', info.area.areaDesc));
  for (const polygon of info.area.polygons) lines.push(textElement(3, 'polygon', polygon));
  lines.push('    </area>', '  </info>');
  return lines;
}

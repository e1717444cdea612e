import { createHash } from 'node:crypto';
import { PUBLIC_WARNING_PATHS, WARNING_EVENTS } from '@ioc/contracts';
import { ATOM_MEDIA_TYPE, type AtomFeed } from './atom/atom-feed';
import { CAP_MEDIA_TYPE, capTime } from './cap/cap-xml';
import type { WarningRecord } from './warning-lifecycle';
import type { Issuer } from './warning-messages';

/** A name-based UUID (version 5 layout, SHA-1) of the sender: the feed's id stays the same across restarts and nodes. */
function feedId(sender: string): string {
  const h = createHash('sha1').update(`ioc-public-warnings:${sender}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Atom feed of active warnings, newest first, in Vietnamese (the English is in each CAP
 * message and the JSON list). An entry's id is its first message's identifier, so it stays the
 * same through updates; it links to the newest CAP message. Pure.
 */
export function warningsFeed(active: readonly WarningRecord[], issuer: Issuer, updated: Date): AtomFeed {
  return {
    id: feedId(issuer.sender),
    title: `Bản tin cảnh báo công khai · ${issuer.senderName}`,
    lang: 'vi',
    updated,
    author: { name: issuer.senderName, ...(issuer.sender.includes('@') ? { email: issuer.sender } : {}) },
    links: [{ rel: 'self', type: ATOM_MEDIA_TYPE, href: PUBLIC_WARNING_PATHS.atom }],
    entries: active.map((w) => ({
      id: `urn:uuid:${w.messages[0].identifier}`,
      title: w.content.vi.headline,
      summary: w.content.vi.description,
      published: w.publishedAt,
      updated: w.updatedAt,
      category: { term: w.content.type, label: WARNING_EVENTS[w.content.type].vi },
      links: [{ rel: 'alternate', type: CAP_MEDIA_TYPE, href: PUBLIC_WARNING_PATHS.cap(w.id) }],
      cap: [
        ['event', WARNING_EVENTS[w.content.type].vi],
        ['urgency', w.content.urgency],
        ['severity', w.content.severity],
        ['certainty', w.content.certainty],
        ['expires', capTime(new Date(w.content.expires))],
        ['areaDesc', w.content.area.name],
      ],
    })),
  };
}

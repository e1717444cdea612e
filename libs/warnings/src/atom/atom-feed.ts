import { CAP_NAMESPACE, capTime } from '../cap/cap-xml';
import { textElement, xmlText } from '../xml-text';

export const ATOM_MEDIA_TYPE = 'application/atom+xml';
const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';

export interface AtomLink {
  rel: 'self' | 'alternate' | 'related';
  type: string;
  /** May be relative: readers resolve it against the feed's own address. */
  href: string;
}

export interface AtomEntry {
  /** An IRI that never changes for the entry, across its updates. */
  id: string;
  title: string;
  summary: string;
  published: Date;
  updated: Date;
  category: { term: string; label: string };
  links: readonly AtomLink[];
  /**
   * CAP elements repeated in the entry, as the OASIS CAP feeds note does (event, urgency, severity,
   * certainty, expires, areaDesc), so a reader can sort without fetching each message; in order.
   */
  cap: readonly (readonly [name: string, value: string])[];
}

export interface AtomFeed {
  id: string;
  title: string;
  /** xml:lang of the feed's text. */
  lang: string;
  updated: Date;
  author: { name: string; email?: string };
  links: readonly AtomLink[];
  entries: readonly AtomEntry[];
}

/** An Atom 1.0 feed (RFC 4287), with times in +07:00 as in the CAP messages it links to. Pure. */
export function atomFeedXml(feed: AtomFeed): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<feed xmlns="${ATOM_NAMESPACE}" xmlns:cap="${CAP_NAMESPACE}" xml:lang="${xmlText(feed.lang)}">`,
    textElement(1, 'id', feed.id),
    textElement(1, 'title', feed.title),
    textElement(1, 'updated', capTime(feed.updated)),
    '  <author>',
    textElement(2, 'name', feed.author.name),
  ];
  if (feed.author.email) lines.push(textElement(2, 'email', feed.author.email));
  lines.push('  </author>', ...feed.links.map((l) => linkLine(1, l)));
  for (const entry of feed.entries) lines.push(...entryLines(entry));
  lines.push('</feed>', '');
  return lines.join('\n');
}

function linkLine(depth: number, link: AtomLink): string {
  return `${'  '.repeat(depth)}<link rel="${link.rel}" type="${xmlText(link.type)}" href="${xmlText(link.href)}"/>`;
}

function entryLines(entry: AtomEntry): string[] {
  return [
    '  <entry>',
    textElement(2, 'id', entry.id),
    textElement(2, 'title', entry.title),
    textElement(2, 'published', capTime(entry.published)),
    textElement(2, 'updated', capTime(entry.updated)),
    `    <category term="${xmlText(entry.category.term)}" label="${xmlText(entry.category.label)}"/>`,
    ...entry.links.map((l) => linkLine(2, l)),
    textElement(2, 'summary', entry.summary),
    ...entry.cap.map(([name, value]) => textElement(2, `cap:${name}`, value)),
    '  </entry>',
  ];
}

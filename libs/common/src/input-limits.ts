/** Objects and arrays nested deeper than this in a body or query are refused. */
export const MAX_INPUT_DEPTH = 16;

/**
 * Characters no text field takes: NUL (PostgreSQL text cannot hold it), the other C0 controls
 * but tab, line feed and carriage return, DEL, and halves of a surrogate pair (jsonb refuses
 * them, and they are no character at all).
 */
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ALL_UNSTORABLE = new RegExp(UNSTORABLE.source, 'g');
/** Enough to fix a request by; a body of a thousand bad strings does not get a thousand lines. */
const MAX_ISSUES = 20;

export interface InputIssue {
  path: string;
  message: string;
}

function describe(char: string): string {
  return char === '\u0000' ? 'NUL' : `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function textIssue(text: string): string | null {
  const found = UNSTORABLE.exec(text);
  return found ? `must not contain ${describe(found[0])} (a control character or half a surrogate pair)` : null;
}

/**
 * What no schema should have to think of, for any body or query: unstorable characters in a
 * string or a key, and nesting past MAX_INPUT_DEPTH. Walks no deeper than the limit, so a
 * hostile depth costs nothing. Paths are dotted, like the schema's own issues.
 */
export function inputIssues(value: unknown): InputIssue[] {
  const issues: InputIssue[] = [];
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  const walk = (node: unknown, path: string, depth: number): void => {
    if (issues.length >= MAX_ISSUES) return;
    if (typeof node === 'string') {
      const message = textIssue(node);
      if (message) issues.push({ path, message });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (depth >= MAX_INPUT_DEPTH) {
      issues.push({ path, message: `must not be nested more than ${MAX_INPUT_DEPTH} levels deep` });
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) {
      const keyMessage = typeof key === 'string' ? textIssue(key) : null;
      if (keyMessage) issues.push({ path, message: `keys ${keyMessage}` });
      else walk(child, join(path, key), depth + 1);
    }
  };
  walk(value, '', 0);
  return issues;
}

/** Text fit to keep: unstorable characters dropped, cut at `max` characters (saying so). */
export function storableText(text: string, max = 1000): string {
  const kept = text.replace(ALL_UNSTORABLE, '');
  if (kept.length <= max) return kept;
  // Never cut between the halves of a pair.
  const end = /[\ud800-\udbff]/.test(kept[max - 1]) ? max - 1 : max;
  return `${kept.slice(0, end)}…[${kept.length - end} more characters]`;
}

/**
 * A copy fit to keep (in the audit log) of any parsed body: unstorable characters dropped,
 * strings, arrays and objects cut to a size, nesting cut at a depth (what was cut is said in
 * place), and the values of keys that `hide` names replaced.
 */
export function storableCopy(value: unknown, hide: (key: string) => boolean): unknown {
  const limits = { depth: 8, entries: 100 };
  const copy = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return storableText(node);
    if (node === null || typeof node !== 'object') return node;
    if (depth >= limits.depth) return '[nested too deep]';
    if (Array.isArray(node)) {
      const items = node.slice(0, limits.entries).map((v) => copy(v, depth + 1));
      return node.length > limits.entries ? [...items, `[${node.length - limits.entries} more items]`] : items;
    }
    const entries = Object.entries(node);
    const out: Record<string, unknown> = {};
    for (const [key, child] of entries.slice(0, limits.entries)) {
      out[storableText(key)] = hide(key) ? '[redacted]' : copy(child, depth + 1);
    }
    if (entries.length > limits.entries) out['[more keys]'] = entries.length - limits.entries;
    return out;
  };
  return copy(value, 0);
}

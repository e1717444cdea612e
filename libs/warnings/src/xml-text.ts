/** Characters XML 1.0 cannot carry at all, not even escaped: other control characters, lone surrogates, U+FFFE and U+FFFF. */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for element content or an attribute value: markup escaped, what XML cannot hold replaced by U+FFFD. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** `<name>text</name>`, indented by `depth` levels of two spaces. */
export function textElement(depth: number, name: string, text: string): string {
  return `${'  '.repeat(depth)}<${name}>${xmlText(text)}</${name}>`;
}

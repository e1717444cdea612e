import { inputIssues, MAX_INPUT_DEPTH, storableCopy, storableText } from './input-limits';

describe('input limits', () => {
  it('names each string or key holding NUL, another control character or half a pair', () => {
    expect(inputIssues({ name: 'a\u0000b', tags: ['ok', '\u001b[31m'], meta: { 'k\u0000': 1 }, note: '\ud83d' })).toEqual([
      { path: 'name', message: expect.stringContaining('NUL') },
      { path: 'tags.1', message: expect.stringContaining('U+001B') },
      { path: 'meta', message: expect.stringMatching(/^keys must not contain NUL/) },
      { path: 'note', message: expect.stringContaining('surrogate') },
    ]);
  });

  it('takes tabs, line breaks and whole surrogate pairs', () => {
    expect(inputIssues({ note: 'line\r\nnext\ttab 🌊 Cầu Quay' })).toEqual([]);
  });

  it('stops at the depth limit, whatever the depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const [issue] = inputIssues({ metadata: deep });
    expect(issue.path.split('.')).toHaveLength(MAX_INPUT_DEPTH);
    expect(issue.path).toMatch(/^metadata\.a\./);
    expect(inputIssues({ m: { a: { b: 1 } } })).toEqual([]);
  });

  it('keeps a copy without what cannot be stored, cut in size and depth, secrets hidden', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const copy = storableCopy({ name: 'a\u0000b', password: 'x', nested: { token: 'y' }, deep, list: Array(150).fill(1) }, (k) =>
      ['password', 'token'].includes(k),
    ) as Record<string, unknown>;
    expect(copy).toMatchObject({ name: 'ab', password: '[redacted]', nested: { token: '[redacted]' } });
    expect(JSON.stringify(copy.deep)).toContain('[nested too deep]');
    expect(copy.list).toHaveLength(101);
    expect(storableText(`${'x'.repeat(9)}🌊`, 10)).toBe(`${'x'.repeat(9)}…[2 more characters]`);
  });
});

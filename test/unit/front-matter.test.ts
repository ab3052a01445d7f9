import { describe, expect, it } from 'vitest';
import { splitFrontMatter } from '../../src/articles/front-matter.js';

describe('splitFrontMatter', () => {
  it('parses the YAML mapping and returns the body after the closing line', () => {
    const doc = splitFrontMatter('---\ntitle: Hello\ntopics: [a, b]\n---\nFirst line.\nSecond line.\n');
    expect(doc.data).toEqual({ title: 'Hello', topics: ['a', 'b'] });
    expect(doc.body).toBe('First line.\nSecond line.\n');
    expect(doc.bodyLine).toBe(5);
  });

  it('handles CRLF line ends and a byte-order mark', () => {
    const doc = splitFrontMatter('\uFEFF---\r\ntitle: Hello\r\n---\r\nBody.\r\n');
    expect(doc.data).toEqual({ title: 'Hello' });
    expect(doc.body).toBe('Body.\r\n');
  });

  it('reads dates as plain strings (core schema, no timestamp type)', () => {
    expect(splitFrontMatter('---\ndate: 2026-01-05\n---\n').data.date).toBe('2026-01-05');
  });

  it('gives empty data for text without front matter and for an empty block', () => {
    expect(splitFrontMatter('Just text.\n')).toEqual({ data: {}, body: 'Just text.\n', bodyLine: 1 });
    expect(splitFrontMatter('---\n\n---\nBody.').data).toEqual({});
  });

  it('throws on an opening line without a closing one', () => {
    expect(() => splitFrontMatter('---\ntitle: T\nbody')).toThrow(/no closing "---" line/);
  });

  it('throws on YAML that does not parse, and on YAML that is not a mapping', () => {
    expect(() => splitFrontMatter('---\ntitle: [unclosed\n---\n')).toThrow(/not valid YAML/);
    expect(() => splitFrontMatter('---\n- a\n- b\n---\n')).toThrow(/must be a YAML mapping/);
    expect(() => splitFrontMatter('---\njust a string\n---\n')).toThrow(/must be a YAML mapping/);
  });

  it('does not evaluate a ---js block: it is not front matter at all', () => {
    const marker = '__nlSplitFrontMatterEvaluated';
    const text = `---js\n{ title: (() => { globalThis.${marker} = true; throw new Error('evaluated') })() }\n---\nBody.\n`;
    const doc = splitFrontMatter(text);
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
    expect(doc.data).toEqual({});
    expect(doc.body).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { excerpt, markdownParagraphs, markdownToText } from '../../src/articles/excerpt.js';

describe('excerpt', () => {
  it('leaves short text unchanged apart from folding white space', () => {
    expect(excerpt('A short  text.\n')).toBe('A short text.');
    const exact = 'x'.repeat(240);
    expect(excerpt(exact)).toBe(exact);
  });

  it('cuts at a word boundary and adds an ellipsis', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta';
    const out = excerpt(text, 20);
    expect(out).toBe('alpha beta gamma…');
    expect(text.startsWith(out.slice(0, -1))).toBe(true);
  });

  it('never exceeds the limit plus the ellipsis and never ends a cut on punctuation', () => {
    const text = 'One two three, four five six; seven eight nine. '.repeat(20);
    const out = excerpt(text);
    expect(out.length).toBeLessThanOrEqual(241);
    expect(out.endsWith('…')).toBe(true);
    expect(out.slice(0, -1)).not.toMatch(/[\s,;:.]$/);
    expect(text.replace(/\s+/g, ' ').startsWith(out.slice(0, -1))).toBe(true);
  });

  it('uses a word boundary that falls exactly at the limit', () => {
    expect(excerpt('abcd efgh', 4)).toBe('abcd…');
  });

  it('cuts inside a word only when there is no space late enough', () => {
    const out = excerpt(`a ${'b'.repeat(300)}`, 100);
    expect(out).toBe(`a ${'b'.repeat(98)}…`);
  });
});

describe('markdown to text', () => {
  it('keeps link text and drops emphasis, code marks and images', () => {
    expect(markdownToText('A **bold** and _soft_ [link](https://x.example) with `code` ![img](a.png)')).toBe('A bold and soft link with code');
  });

  it('skips headings, rules and code fences and joins list lines', () => {
    const body = '# Title\n\nFirst\nline.\n\n---\n\n```\ncode\n```\n\n- one\n- two\n';
    expect(markdownParagraphs(body)).toEqual(['First line.', 'one two']);
  });
});

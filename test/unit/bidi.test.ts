import { describe, expect, it } from 'vitest';
import { textDirection } from '../../src/domain/bidi.js';

describe('textDirection (a text of unknown language)', () => {
  it('follows the first strong character, as dir="auto" does', () => {
    expect(textDirection('If North Korea and Iran hook up')).toBe('ltr');
    expect(textDirection('تحلية المياه في الخليج')).toBe('rtl');
    expect(textDirection('2026: تحلية المياه, then English')).toBe('rtl');
    expect(textDirection('« שלום » עולם')).toBe('rtl');
    expect(textDirection('Ünïcödé first, then عربي')).toBe('ltr');
    expect(textDirection('Жизнь')).toBe('ltr');
    expect(textDirection('日本語のテキスト')).toBe('ltr');
  });
  it('has no answer for text without letters', () => {
    expect(textDirection('2026 — 42 %')).toBeUndefined();
    expect(textDirection('')).toBeUndefined();
  });
});

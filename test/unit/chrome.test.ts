import { describe, expect, it } from 'vitest';
import { isNoticeParagraph, noticePatterns } from '../../src/articles/chrome.js';

describe('page chrome', () => {
  it('recognises privacy, cookie and subscribe notices', () => {
    for (const text of [
      'We have updated our Privacy Policy.',
      'By using our website you consent to our Terms and Conditions.',
      'We use cookies to improve your experience.',
      'Subscribe now for more.',
    ]) {
      expect(isNoticeParagraph(text), text).toBe(true);
    }
  });

  it('keeps ordinary paragraphs, even ones that mention subscribing mid-sentence', () => {
    expect(isNoticeParagraph('Pyongyang’s minister visited Iran on Tuesday.')).toBe(false);
    expect(isNoticeParagraph('Readers who subscribe now get the archive.')).toBe(false);
  });

  it('applies the configured extra patterns case-insensitively', () => {
    const extra = noticePatterns(['^advertisement$']);
    expect(isNoticeParagraph('ADVERTISEMENT', extra)).toBe(true);
    expect(isNoticeParagraph('ADVERTISEMENT')).toBe(false);
  });
});

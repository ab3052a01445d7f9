import { describe, expect, it } from 'vitest';
import { looksScraped, parseScrapedPage } from '../../src/articles/scraped-text.js';

describe('scraped pages', () => {
  it('recognises the date line, after optional leading white space', () => {
    expect(looksScraped(' date 2024-04-24 Cookie notice…\nTitle')).toBe(true);
    expect(looksScraped('date 2024-04-24\nTitle')).toBe(true);
    expect(looksScraped('---\ntitle: x\n---')).toBe(false);
    expect(looksScraped('dated 2024-04-24')).toBe(false);
  });

  it('drops the chrome on the date line and reads the title and paragraphs', () => {
    const page = parseScrapedPage(' date 2024-04-24 We use cookies.\n\nThe title\nFirst paragraph.\n\n  Second paragraph.  \n');
    expect(page).toEqual({ date: '2024-04-24', title: 'The title', paragraphs: ['First paragraph.', 'Second paragraph.'] });
  });

  it('splits paragraphs glued where a closing quote meets the next sentence', () => {
    const page = parseScrapedPage('date 2024-04-24\nT\nHe said “no.”“From here,” she added.');
    expect(page.paragraphs).toEqual(['He said “no.”', '“From here,” she added.']);
  });

  it('throws when there is no title line', () => {
    expect(() => parseScrapedPage('date 2024-04-24 chrome only\n\n')).toThrow(/no title/);
  });
});

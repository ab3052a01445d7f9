import { describe, expect, it } from 'vitest';
import { acceptedLanguages, languageFromHeader } from '../../src/domain/accept-language.js';

describe('Accept-Language', () => {
  it('orders by weight, keeps the order of equal weights, drops q=0 and junk', () => {
    expect(acceptedLanguages('fr-CA,fr;q=0.9,en;q=0.5,ar;q=0.9')).toEqual(['fr-CA', 'fr', 'ar', 'en']);
    expect(acceptedLanguages('de;q=0, en')).toEqual(['en']);
    expect(acceptedLanguages('<script>, en-US;q=0.8, fr;q=abc, ar;q=1.5')).toEqual(['en-US']);
    expect(acceptedLanguages('*;q=0.1, ar')).toEqual(['ar', '*']);
    expect(acceptedLanguages(undefined)).toEqual([]);
    expect(acceptedLanguages('')).toEqual([]);
  });

  it('reads at most 20 entries of at most 1,000 characters', () => {
    expect(acceptedLanguages(Array.from({ length: 50 }, () => 'de').join(',') + ',fr')).toHaveLength(20);
    expect(acceptedLanguages(`${'x'.repeat(2000)},fr`)).toEqual([]);
  });

  it("picks the first asked-for language the newsletter has, by prefix, else nothing (the newsletter's default)", () => {
    const supported = ['en', 'fr', 'ar'];
    expect(languageFromHeader('fr-CA,en;q=0.5', supported)).toBe('fr');
    expect(languageFromHeader('de-DE,ar-EG;q=0.7,en;q=0.3', supported)).toBe('ar');
    expect(languageFromHeader('de, *;q=0.5', supported)).toBeUndefined();
    expect(languageFromHeader('de', supported)).toBeUndefined();
    expect(languageFromHeader('FR', supported)).toBe('fr');
  });
});

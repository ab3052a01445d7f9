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

  it('reads weights as RFC 9110 writes them: three decimals at most, Q as q, other parameters ignored, spaces around', () => {
    expect(acceptedLanguages('en;q=1.000, fr ; Q=0.5 , ar;q=0., de;q=0.001, it;q=0.0001, es;q=1.5, pt;q=.5')).toEqual(['en', 'fr', 'de']);
    expect(acceptedLanguages('fr;level=1;q=0.4, en;q=0.3')).toEqual(['fr', 'en']);
    expect(acceptedLanguages('fr;q=abc;q=0.9, en;q=0.1')).toEqual(['en']);
    expect(acceptedLanguages('zh-Hant-TW, sr-Latn;q=0.8, i-klingon;q=0.2, en_US, fr-FR-x-private-tagtoolong')).toEqual(['zh-Hant-TW', 'sr-Latn', 'i-klingon']);
    expect(acceptedLanguages(',, ;q=0.5, fr')).toEqual(['fr']);
  });

  it('reads at most 20 entries of at most 1,000 characters; an entry cut by the limit is dropped, not read shorter', () => {
    expect(acceptedLanguages(Array.from({ length: 50 }, () => 'de').join(',') + ',fr')).toHaveLength(20);
    expect(acceptedLanguages(`${'x'.repeat(2000)},fr`)).toEqual([]);
    // 'fr-CA' cut to 'fr-C' at the 1,000th character would still pass as a tag.
    const long = `en;q=0.1,${' '.repeat(1000 - 'en;q=0.1,'.length - 'fr-C'.length)}fr-CA`;
    expect(acceptedLanguages(long)).toEqual(['en']);
    expect(acceptedLanguages(long.slice(0, 1000))).toEqual(['fr-C', 'en']);
  });

  it("picks the first asked-for language the newsletter has, by prefix, else nothing (the newsletter's default)", () => {
    const supported = ['en', 'fr', 'ar'];
    expect(languageFromHeader('fr-CA,en;q=0.5', supported)).toBe('fr');
    expect(languageFromHeader('de-DE,ar-EG;q=0.7,en;q=0.3', supported)).toBe('ar');
    expect(languageFromHeader('de, *;q=0.5', supported)).toBeUndefined();
    expect(languageFromHeader('de', supported)).toBeUndefined();
    expect(languageFromHeader('FR', supported)).toBe('fr');
    expect(languageFromHeader('de, *;q=0.5, fr;q=0.4', supported)).toBeUndefined();
    expect(languageFromHeader('de, fr;q=0.4, *;q=0.5', supported)).toBeUndefined();
    expect(languageFromHeader('de;q=0.9, ar-EG;q=0.95, fr', supported)).toBe('fr');
    // Only shorter tags stand for a longer one, not the other way round.
    expect(languageFromHeader('pt', ['en', 'pt-BR'])).toBeUndefined();
    expect(languageFromHeader('pt-br', ['en', 'pt-BR'])).toBe('pt-BR');
    expect(languageFromHeader(undefined, supported)).toBeUndefined();
  });
});

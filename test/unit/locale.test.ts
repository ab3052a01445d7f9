import { describe, expect, it } from 'vitest';
import { isRtl, isValidLocaleTag, isValidTimeZone, memoCheck, negotiateLocale } from '../../src/domain/locale.js';

const SUPPORTED = ['en', 'fr', 'ar'];

describe('negotiateLocale', () => {
  it('falls back from a region tag to its language', () => {
    expect(negotiateLocale('fr-CA', SUPPORTED, 'en')).toBe('fr');
    expect(negotiateLocale('FR_ca', SUPPORTED, 'en')).toBe('fr');
  });

  it('prefers an exact supported tag and returns the supported spelling', () => {
    expect(negotiateLocale('pt-br', ['pt', 'pt-BR'], 'pt')).toBe('pt-BR');
    expect(negotiateLocale(' EN ', SUPPORTED, 'fr')).toBe('en');
  });

  it('gives the default for an unsupported, empty or missing tag', () => {
    expect(negotiateLocale('de', SUPPORTED, 'en')).toBe('en');
    expect(negotiateLocale('', SUPPORTED, 'en')).toBe('en');
    expect(negotiateLocale(undefined, SUPPORTED, 'en')).toBe('en');
  });
});

describe('isRtl', () => {
  it('is true for Arabic, Hebrew, Persian and Urdu, with or without a region', () => {
    for (const l of ['ar', 'he', 'fa', 'ur', 'ar-EG', 'HE']) expect(isRtl(l), l).toBe(true);
  });

  it('is false for left-to-right languages', () => {
    for (const l of ['en', 'fr', 'fr-CA', 'de']) expect(isRtl(l), l).toBe(false);
  });
});

describe('tag and zone checks', () => {
  it('accepts IANA zones and BCP 47 tags and refuses others', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidLocaleTag('fr-CA')).toBe(true);
    expect(isValidLocaleTag('not a tag!')).toBe(false);
  });
});

describe('memoCheck (what typed input may make the process remember)', () => {
  it('asks once per key, keeps no key longer than the limit and no more keys than the limit', () => {
    const memo = memoCheck(3, 10);
    let asked = 0;
    const yes = () => {
      asked++;
      return true;
    };
    expect(memo.check('Asia/Tokyo', yes)).toBe(true);
    expect(memo.check('Asia/Tokyo', yes)).toBe(true);
    expect(asked).toBe(1);
    expect(memo.check('x'.repeat(11), yes)).toBe(true);
    expect(memo.check('x'.repeat(11), yes)).toBe(true);
    expect(asked).toBe(3);
    expect(memo.size).toBe(1);
    for (const k of ['a', 'b', 'c', 'd'])
      memo.check(k, () => {
        throw new Error('Intl refused');
      });
    expect(memo.size).toBe(3);
    expect(memo.check('a', yes)).toBe(false); // remembered: a throw is a no
    expect(memo.check('d', yes)).toBe(true); // not remembered: the memo was full
  });
});

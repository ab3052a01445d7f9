import { describe, expect, it } from 'vitest';
import { isRtl, isValidLocaleTag, isValidTimeZone, negotiateLocale } from '../../src/domain/locale.js';

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

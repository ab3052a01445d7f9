import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { dkimKeys } from '../../src/config/schema.js';
import { NewsletterError } from '../../src/domain/errors.js';

const FILE = '/etc/nl/newsletter.config.yaml';

/** A minimal valid config with `dkim` (YAML lines, indented under delivery:) from line 11 on. */
function config(dkim: string[]): string {
  return [
    'newsletters:',
    '  - id: weekly-brief',
    '    name: The Weekly Brief',
    '    from: "Brief <brief@news.example.org>"',
    '    postalAddress: 1 Example Street',
    '    schedule: "0 8 * * 1"',
    '    timezone: Europe/Paris',
    '    sources: [{ type: folder, path: articles }]',
    '    locales: { default: en, supported: [en] }',
    'delivery:',
    ...dkim.map((l) => `  ${l}`),
  ].join('\n');
}

function refusal(dkim: string[]): string {
  try {
    parseConfigText(config(dkim), FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(NewsletterError);
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('delivery.dkim', () => {
  it('keeps the one-key form working: { domain, selector, privateKeyFile }', () => {
    const parsed = parseConfigText(config(['dkim: { domain: news.example.org, selector: nl2026, privateKeyFile: dkim.pem }']), FILE);
    expect(parsed.delivery.dkim).toEqual({ domain: 'news.example.org', selector: 'nl2026', privateKeyFile: 'dkim.pem' });
    expect(dkimKeys(parsed.delivery.dkim!)).toEqual([{ selector: 'nl2026', privateKeyFile: 'dkim.pem', at: 'delivery.dkim' }]);
  });

  it('takes several keys, in order: RSA beside Ed25519, or two selectors while rotating', () => {
    const parsed = parseConfigText(
      config([
        'dkim:',
        '  domain: news.example.org',
        '  keys:',
        '    - { selector: nl2026, privateKeyFile: rsa.pem }',
        '    - { selector: nl2026e, privateKeyFile: ed.pem, algorithm: ed25519 }',
        '    - { selector: nl2027, privateKeyFile: rsa-new.pem, algorithm: rsa }',
      ]),
      FILE,
    );
    expect(dkimKeys(parsed.delivery.dkim!)).toEqual([
      { selector: 'nl2026', privateKeyFile: 'rsa.pem', at: 'delivery.dkim.keys[0]' },
      { selector: 'nl2026e', privateKeyFile: 'ed.pem', algorithm: 'ed25519', at: 'delivery.dkim.keys[1]' },
      { selector: 'nl2027', privateKeyFile: 'rsa-new.pem', algorithm: 'rsa', at: 'delivery.dkim.keys[2]' },
    ]);
  });

  it('refuses both forms at once, half of the one-key form, and no key at all, naming the key and the fix', () => {
    expect(refusal(['dkim: { domain: news.example.org, selector: a, privateKeyFile: a.pem, keys: [{ selector: b, privateKeyFile: b.pem }] }'])).toMatch(
      /:11: delivery\.dkim\.selector: give the keys either under keys or as selector and privateKeyFile, not both: move selector into keys/,
    );
    expect(refusal(['dkim: { domain: news.example.org, selector: nl2026 }'])).toMatch(/:11: delivery\.dkim\.privateKeyFile: required with selector \(or list the keys under keys/);
    expect(refusal(['dkim: { domain: news.example.org, keys: [] }'])).toMatch(/delivery\.dkim\.keys: list at least one key/);
  });

  it('refuses a selector listed twice, an Ed25519 key alone, a selector that is no DNS name, an unknown algorithm, and a fifth key', () => {
    expect(refusal(['dkim:', '  domain: news.example.org', '  keys:', '    - { selector: nl2026, privateKeyFile: a.pem }', '    - { selector: NL2026, privateKeyFile: b.pem }'])).toMatch(
      /:15: delivery\.dkim\.keys\[1\]\.selector: selector "NL2026" is listed twice/,
    );
    expect(refusal(['dkim: { domain: news.example.org, keys: [{ selector: e, privateKeyFile: e.pem, algorithm: ed25519 }] }'])).toMatch(
      /delivery\.dkim\.keys: an ed25519 key signs beside an rsa key, not alone.*add an rsa key/,
    );
    expect(refusal(['dkim: { domain: news.example.org, selector: "nl;2026", privateKeyFile: a.pem }'])).toMatch(/delivery\.dkim\.selector: must be a DNS name such as nl2026/);
    expect(refusal(['dkim: { domain: news.example.org, keys: [{ selector: a, privateKeyFile: a.pem, algorithm: ecdsa }] }'])).toMatch(/delivery\.dkim\.keys\[0\]\.algorithm/);
    const five = Array.from({ length: 5 }, (_, i) => `    - { selector: s${i}, privateKeyFile: k${i}.pem }`);
    expect(refusal(['dkim:', '  domain: news.example.org', '  keys:', ...five])).toMatch(/delivery\.dkim\.keys: at most 4 keys/);
    expect(refusal(['dkim: { domain: news.example.org, selector: a, privateKeyFile: a.pem, privateKey: x }'])).toMatch(/delivery\.dkim\.privateKey: unknown key; did you mean "privateKeyFile"\?/);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText, type Environment } from '../../src/config/load.js';
import { NewsletterError } from '../../src/domain/errors.js';

const REPO_CONFIG = fileURLToPath(new URL('../../newsletter.config.yaml', import.meta.url));
const FILE = '/etc/nl/newsletter.config.yaml';

/** A minimal valid config; `schedule` is on line 6 and `timezone` on line 7. */
function config(over: { schedule?: string; timezone?: string; locales?: string; extra?: string } = {}): string {
  return [
    'newsletters:',
    '  - id: weekly-brief',
    '    name: The Weekly Brief',
    '    from: "Brief <brief@news.example.org>"',
    '    postalAddress: 1 Example Street',
    `    schedule: "${over.schedule ?? '0 8 * * 1'}"`,
    `    timezone: ${over.timezone ?? 'Europe/Paris'}`,
    '    sources: [{ type: folder, path: articles }]',
    `    locales: ${over.locales ?? '{ default: en, supported: [en, fr] }'}`,
    over.extra ?? '',
  ].join('\n');
}

function configError(text: string): NewsletterError {
  try {
    parseConfigText(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(NewsletterError);
    return e as NewsletterError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseConfigText', () => {
  it('parses the repository’s own configuration file', () => {
    const parsed = parseConfigText(readFileSync(REPO_CONFIG, 'utf8'), REPO_CONFIG);
    expect(parsed.newsletters.map((n) => n.id)).toEqual(['weekly-brief']);
    expect(parsed.newsletters[0]).toMatchObject({ schedule: '0 8 * * 1', timezone: 'Europe/Paris', firstIssueLookback: 'all', locales: { default: 'en', supported: ['en', 'fr', 'ar'] } });
    // Durations come parsed, in milliseconds.
    expect(parsed.delivery.retryLifetime).toBe(3 * 86_400_000);
    expect(parsed.delivery.timeouts).toEqual({ connection: 15_000, greeting: 15_000, socket: 30_000 });
  });

  it('fills defaults for a minimal file', () => {
    const parsed = parseConfigText(config(), FILE);
    expect(parsed.dataDir).toBe('data');
    expect(parsed.newsletters[0]).toMatchObject({ maxArticles: 8, firstIssueLookback: 30 * 86_400_000, catchUpGrace: 6 * 3_600_000, topics: [], template: 'default' });
  });

  it('names the line and key path of an invalid cron expression', () => {
    const e = configError(config({ schedule: '0 25 * * 1' }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(`${FILE}:6: newsletters[0] (weekly-brief).schedule: not a valid cron expression`);
  });

  it('names the line and key path of an unknown time zone', () => {
    const e = configError(config({ timezone: 'Mars/Olympus_Mons' }));
    expect(e.message).toContain(`${FILE}:7: newsletters[0] (weekly-brief).timezone: unknown IANA time zone`);
  });

  it('refuses a schedule that sets both day-of-month and day-of-week', () => {
    const e = configError(config({ schedule: '0 8 1 * 1' }));
    expect(e.message).toContain(`${FILE}:6: newsletters[0] (weekly-brief).schedule`);
    expect(e.message).toMatch(/both day-of-month and day-of-week/);
  });

  it('names the file and line of a YAML syntax error', () => {
    const e = configError(config({ extra: '    replyTo: editors: news.example.org' }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.place).toBe(`${FILE}:10`);
    expect(e.message.startsWith(`${FILE}:10: YAML syntax error`)).toBe(true);
  });

  it('refuses two newsletters with the same id', () => {
    const one = config().split('\n').slice(1).join('\n');
    const e = configError(`newsletters:\n${one}\n${one}`);
    expect(e.message).toMatch(/newsletters\[1\] \(weekly-brief\)\.id: duplicate newsletter id "weekly-brief"/);
  });

  it('refuses a default locale that is not among the supported ones', () => {
    const e = configError(config({ locales: '{ default: de, supported: [en, fr] }' }));
    expect(e.message).toContain(`${FILE}:9: newsletters[0] (weekly-brief).locales.default: "de" must be one of locales.supported`);
  });
});

describe('loadConfig environment', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-'));
    file = join(dir, 'newsletter.config.yaml');
    writeFileSync(file, config());
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (env: Environment) => loadConfig({ file, env, readGeneratedSecret: () => 'generated-secret-for-tests' });

  function refused(env: Environment, variable: string): NewsletterError {
    let error: unknown;
    try {
      load(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NewsletterError);
    const e = error as NewsletterError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.place).toBe(variable);
    expect(e.message.startsWith(`${variable}: `)).toBe(true);
    return e;
  }

  it('chooses the transport: SMTP_URL when set, unless transport: capture; transport: smtp without SMTP_URL is refused naming the key', () => {
    const url = 'smtp://user:s3cret@relay.example.org:587';
    expect(load({ SMTP_URL: url }).smtp?.host).toBe('relay.example.org');
    expect(load({}).smtp).toBeUndefined();
    writeFileSync(file, config({ extra: 'transport: capture' }));
    const capture = load({ SMTP_URL: url });
    expect(capture.smtp).toBeUndefined();
    expect(capture.warnings.join('\n')).toMatch(/transport is capture: SMTP_URL \(smtp:\/\/…@relay\.example\.org:587\) is not used/);
    expect(capture.warnings.join('\n')).not.toMatch(/s3cret/);
    writeFileSync(file, config({ extra: 'transport: smtp' }));
    expect(load({ SMTP_URL: url }).smtp?.port).toBe(587);
    let error: unknown;
    try {
      load({});
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(/: transport: smtp, but SMTP_URL is not set/);
    writeFileSync(file, config({ extra: 'transport: sendgrid' }));
    expect(() => load({})).toThrow(/transport/);
  });

  it('stops a run after 20 failures in a row by default; reads the old name pauseAfterFailures with a warning, the new one winning', () => {
    expect(load({}).delivery.stopAfterFailures).toBe(20);
    for (const [delivery, expected, warned] of [
      ['delivery: { stopAfterFailures: 7 }', 7, false],
      ['delivery: { pauseAfterFailures: 5 }', 5, true],
      ['delivery: { pauseAfterFailures: 5, stopAfterFailures: 9 }', 9, true],
    ] as const) {
      writeFileSync(file, config({ extra: delivery }));
      const c = load({});
      expect(c.delivery.stopAfterFailures, delivery).toBe(expected);
      expect(c.delivery).not.toHaveProperty('pauseAfterFailures');
      expect(
        c.warnings.some((w) => /delivery\.pauseAfterFailures is now delivery\.stopAfterFailures/.test(w)),
        delivery,
      ).toBe(warned);
    }
  });

  it('loads with defaults and resolves paths from the file’s folder', () => {
    const c = load({});
    expect(c.port).toBe(8080);
    expect(c.paths.data).toBe(join(dir, 'data'));
    expect(c.database).toEqual({ kind: 'sqlite', file: join(dir, 'data', 'newsletter.sqlite') });
    expect(c.generatedSecret).toBe(true);
    expect(c.secrets).toEqual(['generated-secret-for-tests']);
  });

  it('refuses a non-numeric PORT', () => {
    expect(refused({ PORT: 'eighty' }, 'PORT').message).toContain('"eighty"');
    refused({ PORT: '70000' }, 'PORT');
  });

  it('refuses a blank or hexadecimal PORT rather than reading it as a number', () => {
    refused({ PORT: ' ' }, 'PORT');
    refused({ PORT: '0x1F90' }, 'PORT');
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps://', () => {
    refused({ SMTP_URL: 'http://mail.example.org' }, 'SMTP_URL');
  });

  it('does not echo the SMTP password in the error', () => {
    expect(refused({ SMTP_URL: 'https://user:hunter2@mail.example.org' }, 'SMTP_URL').message).not.toContain('hunter2');
  });

  it('refuses a NEWSLETTER_SECRET shorter than 16 characters', () => {
    refused({ NEWSLETTER_SECRET: 'short' }, 'NEWSLETTER_SECRET');
  });

  it('refuses a postgres:// DATABASE_URL that is not a valid URL', () => {
    refused({ DATABASE_URL: 'postgres://user@db.example.org:99999/newsletter' }, 'DATABASE_URL');
  });

  it('accepts valid environment values, with the previous secret after the current one', () => {
    const c = load({
      PORT: '9000',
      SMTP_URL: 'smtps://user:pass@mail.example.org:465',
      NEWSLETTER_SECRET: 'a'.repeat(16),
      NEWSLETTER_PREVIOUS_SECRET: 'b'.repeat(16),
      DATABASE_URL: 'postgres://user@127.0.0.1:5432/newsletter',
      PUBLIC_URL: 'https://news.example.org/',
    });
    expect(c).toMatchObject({ port: 9000, publicUrl: 'https://news.example.org', generatedSecret: false, warnings: [] });
    expect(c.secrets).toEqual(['a'.repeat(16), 'b'.repeat(16)]);
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://user@127.0.0.1:5432/newsletter' });
  });

  describe('SMTP_URL', () => {
    const smtpOf = (url: string) => load({ SMTP_URL: url }).smtp!;

    it('takes a password holding "/", "@", "%" and ":" as written, and shows only scheme, host and port', () => {
      const s = smtpOf('smtp://mailer@example.org:pa/ss@w%rd:x@relay.example.org:2525');
      expect(s).toMatchObject({ host: 'relay.example.org', port: 2525, secure: false, auth: { user: 'mailer@example.org', pass: 'pa/ss@w%rd:x' } });
      expect(s.shown).toBe('smtp://…@relay.example.org:2525');
    });

    it('decodes percent-escapes, defaults the port by scheme, and reads tls.* and flags from the query', () => {
      expect(smtpOf('smtps://u%40x:p%2Fq@mail.example.org')).toMatchObject({ port: 465, secure: true, auth: { user: 'u@x', pass: 'p/q' } });
      expect(smtpOf('smtp://127.0.0.1:25/?tls.rejectUnauthorized=false&ignoreTLS=true')).toMatchObject({
        port: 25,
        auth: undefined,
        tls: { rejectUnauthorized: false },
        flags: { ignoreTLS: true },
        shown: 'smtp://127.0.0.1:25',
      });
      expect(smtpOf('smtp://[::1]:2525').shown).toBe('smtp://[::1]:2525');
    });

    it('never puts the password in an error', () => {
      for (const url of ['smtp://user:s3cr/et@', 'smtp://user:s3cr/et@host:99999', 'smtp://user:s3cr/et@host?weird=s3cr/et', 'ftp://user:s3cr/et@host']) {
        const e = refused({ SMTP_URL: url }, 'SMTP_URL');
        expect(e.message).not.toContain('s3cr');
      }
    });
  });
});

describe('unknown configuration keys', () => {
  it('refuses a misspelt top-level key with its file:line and the nearest known key', () => {
    const e = configError(`${config()}\nsheduleTypo: x\n`);
    expect(e.message).toContain(`${FILE}:11: sheduleTypo: unknown key`);
    const typo = configError(`${config()}\ndelivry:\n  batchSize: 10\n`);
    expect(typo.message).toContain(`${FILE}:11: delivry: unknown key; did you mean "delivery"?`);
  });

  it('refuses an unknown nested key at its own line, naming the keys that exist there', () => {
    const e = configError(`${config()}\ndelivery:\n  batchSize: 10\n  bogusKey: 1\n  leaseSecond: 30\n`);
    expect(e.message).toContain(`${FILE}:13: delivery.bogusKey: unknown key; known keys here: batchSize, leaseSeconds`);
    expect(e.message).toContain(`${FILE}:14: delivery.leaseSecond: unknown key; did you mean "leaseSeconds"?`);
  });

  it('refuses an unknown key inside a newsletter and inside a source', () => {
    const e = configError(config({ extra: '    maxArticle: 3\n' }));
    expect(e.message).toMatch(/:10: newsletters\[0\]\.maxArticle: unknown key; did you mean "maxArticles"\?/);
    const s = configError(config().replace('[{ type: folder, path: articles }]', '[{ type: folder, path: articles, pth: x }]'));
    expect(s.message).toMatch(/:8: newsletters\[0\]\.sources\[0\]\.pth: unknown key/);
  });
});

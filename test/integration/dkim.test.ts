import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import DKIM from 'nodemailer/lib/dkim/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import { createHttpApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/domain/logger.js';
import { readTaggedAddress } from '../../src/domain/outbox-tags.js';
import { makeProject, CONSENTING, TEST_ENV, type TestProject } from '../helpers/project.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { DKIM_HEADERS } from '../../src/delivery/message.js';
import { NewsletterError } from '../../src/domain/errors.js';
import { runCli } from '../helpers/cli.js';

describe('DKIM signing', () => {
  let project: TestProject;
  let sink: SmtpSink;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  // A stubbed DNS: only the selector's TXT record exists.
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === 'nl2026._domainkey.news.example.org') return [[dnsRecord]];
    throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  };

  beforeEach(async () => {
    project = makeProject({
      config: (y) =>
        y.replace(
          'retryLifetime: 3d',
          'retryLifetime: 3d\n  bounceAddress: "bounces+{id}@news.example.org"\n  complaintAddress: fbl@news.example.org\n  dkim: { domain: news.example.org, selector: nl2026, privateKeyFile: dkim.pem }',
        ),
    });
    writeFileSync(join(project.dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    await sink.close();
    project.cleanup();
  });

  it('signs every message so that it verifies, covering List-Unsubscribe and List-Unsubscribe-Post; VERP bounce address per row', async () => {
    const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock('2026-11-28T15:00:00Z') });
    const summary = await sendNewsletter(app, app.config.newsletters[0]!);
    expect(summary.counts.sent).toBe(CONSENTING.length);
    await app.close();
    for (const m of sink.received) {
      const result = await dkimVerify(m.raw, { resolver });
      const sig = result.results[0]!;
      expect(sig.status.result, JSON.stringify(sig.status)).toBe('pass');
      expect(sig.signingDomain).toBe('news.example.org');
      const signed = (sig as unknown as { signingHeaders: { keys: string } }).signingHeaders.keys
        .toLowerCase()
        .split(':')
        .map((h: string) => h.trim());
      for (const h of ['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'message-id', 'auto-submitted', 'cfbl-address', 'cfbl-feedback-id']) expect(signed).toContain(h);
      // VERP with a signed tag: the bounce names its row, and nobody can forge a name.
      expect(m.from).toMatch(/^bounces\+\d+-[a-z2-7]{10}@news\.example\.org$/);
      expect(readTaggedAddress('bounces+{id}@news.example.org', 'bounce', m.from, [TEST_ENV.NEWSLETTER_SECRET])).toBeGreaterThan(0);
      // RFC 9477: the complaint address, in a header the signature covers (checked above).
      expect(m.raw.toString('utf8')).toMatch(/^CFBL-Address: fbl@news\.example\.org; report=arf\r$/m);
    }
    // Altering a signed header breaks the signature: the check is real.
    const tampered = Buffer.from(sink.received[0]!.raw.toString('utf8').replace(/^Subject: .*$/m, 'Subject: changed'));
    const bad = await dkimVerify(tampered, { resolver });
    expect(bad.results[0]!.status.result).not.toBe('pass');
  });

  it('`newsletter send` signs in its signing thread and still exits when done (the thread never holds the process)', async () => {
    const r = await runCli(['send', '--config', project.configFile, '--at', '2026-11-28T15:00:00Z'], { env: { SMTP_URL: sink.url }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(sink.received.length).toBe(CONSENTING.length);
    for (const m of sink.received) {
      const sig = (await dkimVerify(m.raw, { resolver })).results[0]!;
      expect(sig.status.result, JSON.stringify(sig.status)).toBe('pass');
    }
  }, 90_000);

  it('signs the confirmation mail of a sign-up too, Auto-Submitted included', async () => {
    const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock('2026-11-28T15:00:00Z') });
    const http = createHttpApp({ store: app.store, config: app.config, clock: app.clock, logger: silentLogger, transport: app.transport });
    const res = await http.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new.reader@example.org', newsletter: 'weekly-brief', locale: 'ar' }),
    });
    expect(res.status).toBe(202);
    await http.settled();
    await app.close();
    expect(sink.received.map((m) => m.to)).toEqual([['new.reader@example.org']]);
    const raw = sink.received[0]!.raw;
    const sig = (await dkimVerify(raw, { resolver })).results[0]!;
    expect(sig.status.result, JSON.stringify(sig.status)).toBe('pass');
    const signed = (sig as unknown as { signingHeaders: { keys: string } }).signingHeaders.keys
      .toLowerCase()
      .split(':')
      .map((h) => h.trim());
    expect(signed).toContain('auto-submitted');
    expect(raw.toString('utf8')).toMatch(/^Auto-Submitted: auto-generated\r$/m);
  });

  it('signs digests byte for byte as nodemailer’s signer did before (same canonical form, same tags), every other byte untouched', async () => {
    const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock('2026-11-28T15:00:00Z') });
    await sendNewsletter(app, app.config.newsletters[0]!);
    await app.close();
    const key = { domainName: 'news.example.org', keySelector: 'nl2026', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), headerFieldNames: DKIM_HEADERS };
    expect(sink.received.length).toBe(CONSENTING.length);
    for (const m of sink.received) {
      const text = m.raw.toString('latin1');
      // our one DKIM-Signature field comes first; the message follows it unchanged
      const unsigned = Buffer.from(text.replace(/^DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*/, ''), 'latin1');
      expect(unsigned.length).toBeLessThan(m.raw.length);
      expect(unsigned.toString('latin1')).not.toMatch(/^DKIM-Signature:/im);
      expect((await buffer(new DKIM(key).sign(unsigned))).toString('latin1')).toBe(text);
    }
  });
});

describe('DKIM with several keys (delivery.dkim.keys)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  const records: Record<string, string> = {
    'nl2026._domainkey.news.example.org': `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
    'nl2026e._domainkey.news.example.org': `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
  };
  const resolverOf =
    (...names: string[]) =>
    async (name: string, type: string) => {
      if (type === 'TXT' && names.includes(name)) return [[records[name]!]];
      throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    };
  const projects: TestProject[] = [];
  /** A project whose delivery.dkim is `dkim` (YAML flow), with rsa.pem and ed.pem beside the config. */
  function projectWith(dkim: string): TestProject {
    const p = makeProject({ config: (y) => y.replace('retryLifetime: 3d', `retryLifetime: 3d\n  dkim: ${dkim}`) });
    writeFileSync(join(p.dir, 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(p.dir, 'ed.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    projects.push(p);
    return p;
  }
  afterEach(() => {
    for (const p of projects.splice(0)) p.cleanup();
  });

  it('dual-signs every message, RSA and Ed25519 (RFC 8463); a receiver that knows only RSA still verifies it', async () => {
    const sink = await startSmtpSink();
    try {
      const project = projectWith('{ domain: news.example.org, keys: [{ selector: nl2026, privateKeyFile: rsa.pem }, { selector: nl2026e, privateKeyFile: ed.pem, algorithm: ed25519 }] }');
      const app = await openTestApp(project, { env: { SMTP_URL: sink.url }, clock: fixedClock('2026-11-28T15:00:00Z') });
      const summary = await sendNewsletter(app, app.config.newsletters[0]!);
      await app.close();
      expect(summary.counts.sent).toBe(CONSENTING.length);
      for (const m of sink.received) {
        expect(m.raw.toString('latin1').match(/^DKIM-Signature:/gm)).toHaveLength(2);
        const both = (await dkimVerify(m.raw, { resolver: resolverOf(...Object.keys(records)) })).results;
        expect(both.map((r) => [r.status.result, (r as unknown as { algo: string }).algo])).toEqual([
          ['pass', 'rsa-sha256'],
          ['pass', 'ed25519-sha256'],
        ]);
        const rsaOnly = (await dkimVerify(m.raw, { resolver: resolverOf('nl2026._domainkey.news.example.org') })).results;
        expect(rsaOnly[0]!.status.result).toBe('pass');
      }
    } finally {
      await sink.close();
    }
  });

  it('refuses to start with a key that is not what the config says, or with Ed25519 keys only, naming the key and the fix', async () => {
    const mismatch = projectWith('{ domain: news.example.org, keys: [{ selector: nl2026, privateKeyFile: ed.pem, algorithm: rsa }] }');
    const e1 = await openTestApp(mismatch).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(NewsletterError);
    expect((e1 as Error).message).toMatch(/newsletter\.config\.yaml: delivery\.dkim\.keys\[0\]\.algorithm: rsa is given, but .*ed\.pem holds an ed25519 key/);
    const edOnly = projectWith('{ domain: news.example.org, selector: nl2026e, privateKeyFile: ed.pem }');
    const e2 = await openTestApp(edOnly).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/every key is ed25519.*add an rsa key/);
    const missing = projectWith('{ domain: news.example.org, keys: [{ selector: nl2026, privateKeyFile: rsa.pem }, { selector: nl2027, privateKeyFile: gone.pem }] }');
    const e3 = await openTestApp(missing).catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/newsletter\.config\.yaml: delivery\.dkim\.keys\[1\]\.privateKeyFile: cannot read .*gone\.pem/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { SMTPServer } from 'smtp-server';
import { doctorSetup, type App } from '../../src/app.js';
import { createHttpApp } from '../../src/http/app.js';
import { dkimRecordFor } from '../../src/deliverability/records.js';
import { runDoctor, type Check, type DoctorInput } from '../../src/deliverability/doctor.js';
import { startDnsmasq, type DnsServer, type Zone } from '../helpers/dnsmasq.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { openTestApp, fixedClock } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';

/**
 * `newsletter doctor` against real peers on 127.0.0.1: DNS from dnsmasq (right records and wrong
 * ones), a relay that wants STARTTLS and a password (smtp-server), and the service's own HTTP app
 * behind https with a certificate made by openssl for the test (trusted by the CLI through
 * NODE_EXTRA_CA_CERTS).
 */

const FROM_DOMAIN = 'news.example.test';
const SELECTOR = 'nl2026';
const KEY_NAME = `${SELECTOR}._domainkey.${FROM_DOMAIN}`;
const HELO = 'mail.example.test';
const BOUNCE_DOMAIN = 'bounces.news.example.test';

let project: TestProject;
let app: App;
let dkimPem: string;
let relay: SMTPServer;
let relayPort: number;
let https: Server;
let httpsPort: number;
let wrongWeb: Server;
let plainWeb: Server;
let plainPort: number;
let wrongWebPort: number;
let caFile: string;
let right: DnsServer;
let wrong: DnsServer;
const started: DnsServer[] = [];

const rightZone = (): Zone => ({
  txt: [
    [BOUNCE_DOMAIN, 'v=spf1 ip4:192.0.2.0/24 include:_spf.example.test -all'],
    ['_spf.example.test', 'v=spf1 ip4:198.51.100.0/24 -all'],
    [KEY_NAME, dkimRecordFor(dkimPem)],
    // At the organizational domain: the doctor looks there when the From domain has none.
    ['_dmarc.example.test', 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.test'],
  ],
  address: [
    [HELO, '192.0.2.10'],
    ['mx.example.test', '192.0.2.25'],
  ],
  mx: [[BOUNCE_DOMAIN, 'mx.example.test', 10]],
});

function relayUrl(password: string): string {
  return `smtp://sender:${password}@127.0.0.1:${relayPort}?tls.rejectUnauthorized=false`;
}

const byId = (checks: Check[], id: string) => checks.filter((c) => c.id === id);
const statuses = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));

beforeAll(async () => {
  project = makeProject({
    config: (yaml) =>
      yaml
        .replace('brief@news.example.org', `brief@${FROM_DOMAIN}`)
        .replace(
          /^delivery:\n/m,
          `delivery:\n  heloName: ${HELO}\n  bounceAddress: bounces+{id}@${BOUNCE_DOMAIN}\n  dkim: { domain: ${FROM_DOMAIN}, selector: ${SELECTOR}, privateKeyFile: dkim.pem }\n`,
        )
        .concat('\nbounces:\n  smtp: { host: 127.0.0.1, port: 0 }\n'),
  });
  dkimPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(project.dir, 'dkim.pem'), dkimPem);

  // A certificate for localhost and 127.0.0.1, valid ten years either side of the test's clock.
  const key = join(project.dir, 'tls-key.pem');
  caFile = join(project.dir, 'tls-cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '3650', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );

  // The relay: STARTTLS (smtp-server's own certificate) and a login it checks.
  relay = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'sender' && auth.password === 'right-password') callback(null, { user: 'sender' });
      else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(new Error('the doctor must not send mail')));
    },
  });
  relay.on('error', () => {});
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  relayPort = (relay.server.address() as AddressInfo).port;

  // The service's own HTTP app behind https.
  app = await openTestApp(project, { clock: fixedClock('2026-12-01T08:00:00Z') });
  const web = createHttpApp({ store: app.store, config: app.config, clock: app.clock, logger: app.logger, transport: app.transport });
  https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(caFile) }, getRequestListener(web.fetch));
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', () => resolve()));
  httpsPort = (https.address() as AddressInfo).port;
  plainWeb = createHttpServer(getRequestListener(web.fetch));
  await new Promise<void>((resolve) => plainWeb.listen(0, '127.0.0.1', () => resolve()));
  plainPort = (plainWeb.address() as AddressInfo).port;

  // A web server that is not ours: it redirects every POST and has no /healthz.
  wrongWeb = createHttpServer((req, res) => {
    if (req.method === 'POST') res.writeHead(301, { location: 'https://www.example.test/' }).end();
    else if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => wrongWeb.listen(0, '127.0.0.1', () => resolve()));
  wrongWebPort = (wrongWeb.address() as AddressInfo).port;

  right = await startDnsmasq(rightZone());
  // Every record wrong in its own way.
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  wrong = await startDnsmasq({
    txt: [
      [BOUNCE_DOMAIN, 'v=spf1 ip4:198.51.100.0/24 -all'],
      [KEY_NAME, dkimRecordFor(otherKey)],
      // and no DMARC record at all
    ],
  });
  started.push(right, wrong);
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
  await new Promise<void>((resolve) => relay?.close(() => resolve()));
  https?.close();
  wrongWeb?.close();
  plainWeb?.close();
  await app?.close();
  project?.cleanup();
});

describe('newsletter doctor', () => {
  it('passes every check when the records, the relay and PUBLIC_URL are right (CLI, --json and text)', async () => {
    const env = { SMTP_URL: relayUrl('right-password'), PUBLIC_URL: `https://localhost:${httpsPort}`, NODE_EXTRA_CA_CERTS: caFile };
    const r = await runCli(['doctor', '--config', project.configFile, '--dns', right.server, '--json'], { env, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { checks: Check[]; dns: string };
    expect(out.dns).toBe(right.server);
    expect(statuses(out.checks)).toEqual({ spf: 'pass', dkim: 'pass', dmarc: 'pass', mx: 'pass', helo: 'pass', 'public-url': 'pass', relay: 'pass' });
    const [spf] = byId(out.checks, 'spf');
    // The relay is on loopback, so SPF must cover the HELO name's public address.
    expect(spf!.subject).toBe(BOUNCE_DOMAIN);
    expect(spf!.summary).toContain('192.0.2.10');
    expect(byId(out.checks, 'dmarc')[0]!.subject).toContain('_dmarc.example.test');
    expect(byId(out.checks, 'relay')[0]!.summary).toMatch(/TLS, AUTH accepted.*no mail sent/);

    const text = await runCli(['doctor', '--config', project.configFile, '--dns', right.server], { env, timeoutMs: 60_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^pass {2}dkim {7}nl2026\._domainkey\.news\.example\.test$/m);
    expect(text.stdout).toContain('7 passed, 0 warning(s), 0 failed');
  }, 120_000);

  it('fails each check that is wrong, saying what to fix, and exits 1 (CLI)', async () => {
    const env = { SMTP_URL: relayUrl('wrong-password'), PUBLIC_URL: `http://127.0.0.1:${wrongWebPort}` };
    const r = await runCli(['doctor', '--config', project.configFile, '--dns', wrong.server, '--json'], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const { checks } = JSON.parse(r.stdout) as { checks: Check[] };
    // SPF cannot tell which address to check: the relay is on loopback and the HELO name has no
    // address in this zone; --ip below says which.
    expect(statuses(checks)).toEqual({ spf: 'warn', dkim: 'fail', dmarc: 'fail', mx: 'fail', helo: 'fail', 'public-url': 'fail', relay: 'fail' });
    const get = (id: string) => byId(checks, id)[0]!;
    expect(get('spf').summary).toMatch(/HELO name mail\.example\.test has no address to check: give it with --ip/);
    expect(get('helo').summary).toMatch(/does not resolve/);
    expect(get('dkim').summary).toMatch(/another key/);
    // The fix is the record to publish, with this key's public half.
    expect(get('dkim').fix).toContain(`TXT at ${KEY_NAME}: "${dkimRecordFor(dkimPem)}"`);
    expect(get('dmarc').summary).toMatch(/no DMARC record for news\.example\.test or example\.test/);
    expect(get('dmarc').fix).toContain('_dmarc.example.test: "v=DMARC1; p=none;');
    expect(get('mx').summary).toMatch(/no MX record and no address/);
    expect(get('public-url').summary).toMatch(/redirected \(301/);
    expect(get('relay').summary).toMatch(/refused our login: 535/);
    expect(r.stdout).not.toContain('wrong-password');

    const withIp = await runCli(['doctor', '--config', project.configFile, '--dns', wrong.server, '--ip', '192.0.2.10', '--json'], { env, timeoutMs: 60_000 });
    const spf = byId((JSON.parse(withIp.stdout) as { checks: Check[] }).checks, 'spf')[0]!;
    expect(spf.status).toBe('fail');
    expect(spf.summary).toMatch(/192\.0\.2\.10 \(the address given with --ip\) gets "fail" by -all/);
    expect(spf.fix).toContain('ip4:192.0.2.10');
  }, 120_000);

  it('exits 2 when it cannot run: a DNS server that does not answer, an unknown newsletter, a bad --dns', async () => {
    const env = { SMTP_URL: relayUrl('right-password') };
    const deadPort = wrongWebPort; // a TCP port; nothing answers DNS on its UDP side
    const dead = await runCli(['doctor', '--config', project.configFile, '--dns', `127.0.0.1:${deadPort}`], { env, timeoutMs: 60_000 });
    expect(dead.code).toBe(2);
    expect(dead.stderr).toMatch(/DNS \(127\.0\.0\.1:\d+\) does not answer/);
    const unknown = await runCli(['doctor', '--config', project.configFile, '--newsletter', 'nope', '--dns', right.server], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no newsletter "nope"');
    const bad = await runCli(['doctor', '--config', project.configFile, '--dns', 'dns.example.test'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not an IP address');
  }, 120_000);

  it('one wrong thing at a time (in process): a revoked key, a testing key, SPF softfail, DKIM not aligned, an IP literal HELO, http on loopback', async () => {
    const base = rightZone();
    const replace = (name: string, value: string): Zone => ({ ...base, txt: base.txt!.map(([n, v]): [string, string] => [n, n === name ? value : v]) });
    const check = async (zone: Zone, id: string, change: (input: DoctorInput) => DoctorInput = (x) => x, smtpUrl = relayUrl('right-password')): Promise<Check> => {
      const dns = await startDnsmasq(zone);
      started.push(dns);
      const setup = doctorSetup({ configFile: project.configFile, env: { ...TEST_ENV, SMTP_URL: smtpUrl, PUBLIC_URL: `http://127.0.0.1:${plainPort}` }, dnsServer: dns.server });
      return byId(await runDoctor(change(setup.input(setup.config.newsletters)), setup.ports), id)[0]!;
    };

    const revoked = await check(replace(KEY_NAME, 'v=DKIM1; k=rsa; p='), 'dkim');
    expect(revoked).toMatchObject({ status: 'fail' });
    expect(revoked.summary).toMatch(/revoked/);
    const testing = await check(replace(KEY_NAME, `${dkimRecordFor(dkimPem)}; t=y`), 'dkim');
    expect(testing).toMatchObject({ status: 'warn' });
    expect(testing.summary).toMatch(/t=y/);

    const soft = await check(replace(BOUNCE_DOMAIN, 'v=spf1 ip4:198.51.100.0/24 ~all'), 'spf');
    expect(soft.status).toBe('fail');
    expect(soft.summary).toMatch(/gets "softfail" by ~all/);

    // Signing as another organisation: only SPF (bounces.news.example.test, relaxed) aligns with From.
    const otherSigner = await check(base, 'dmarc', (input) => ({ ...input, dkim: { ...input.dkim!, domain: 'mailer.example.net' } }));
    expect(otherSigner.status).toBe('warn');
    expect(otherSigner.summary).toMatch(/only SPF aligns/);
    // Strict SPF alignment as well: nothing aligns.
    const strict = await check(replace('_dmarc.example.test', 'v=DMARC1; p=none; aspf=s'), 'dmarc', (input) => ({ ...input, dkim: { ...input.dkim!, domain: 'mailer.example.net' } }));
    expect(strict.status).toBe('fail');

    // A relay named localhost is this host (whatever the DNS server says): SPF must cover the HELO name's address.
    const viaLocalhost = await check(base, 'spf', undefined, relayUrl('right-password').replace('127.0.0.1', 'localhost'));
    expect(viaLocalhost.status).toBe('pass');
    expect(viaLocalhost.summary).toContain('the relay localhost is on this host or network');

    const literal = await check(base, 'helo', (input) => ({ ...input, heloName: '192.0.2.10' }));
    expect(literal).toMatchObject({ status: 'fail' });
    expect(literal.summary).toMatch(/IP literal/);

    // http on loopback answers as the service: fine for trying, a warning.
    const plain = await check(base, 'public-url');
    expect(plain.status).toBe('warn');
    expect(plain.summary).toMatch(/over http/);
  }, 120_000);
});

import { BlockList, isIP } from 'node:net';
import addrs from 'email-addresses';
import type { NewsletterConfig } from '../config/schema.js';
import { DnsFailure, type DnsPort } from './dns.js';
import { checkHost, type SpfAnswer } from './spf.js';
import { aligned, dkimRecordFor, dmarcRecords, judgeDkimRecord, organizationalDomain, parseDmarc, parseTagList } from './records.js';

/**
 * `newsletter doctor`: what decides whether mail arrives, checked the way receivers check it,
 * each with pass / warn / fail and what to fix. Pure apart from its ports (DNS, the relay, HTTP),
 * which the composition root gives it.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type CheckId = 'spf' | 'dkim' | 'dmarc' | 'mx' | 'helo' | 'public-url' | 'relay';

export interface Check {
  id: CheckId;
  /** What was looked at: a DNS name, a URL, the relay. */
  subject: string;
  status: CheckStatus;
  /** What was found, in a sentence. */
  summary: string;
  /** What to do, when the status is not pass. */
  fix?: string;
}

export interface RelayProbe {
  /** The stage that failed, if one did. */
  failed?: 'connect' | 'tls' | 'auth';
  message?: string;
  /** TLS from the first byte (smtps) or after STARTTLS. */
  tls: boolean;
  /** Whether a login was tried and accepted (undefined: SMTP_URL has no user). */
  authenticated?: boolean;
  /** The AUTH mechanisms the relay offered. */
  authMethods: string[];
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  location?: string;
}

export interface DoctorPorts {
  dns: DnsPort;
  /** EHLO, STARTTLS, AUTH, QUIT: no mail is sent. Undefined when no relay is configured (capture). */
  probeRelay?: () => Promise<RelayProbe>;
  /** One HTTP request, no redirect followed, at most 10 s. Rejects with a readable message. */
  http: (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => Promise<HttpAnswer>;
}

export interface DkimKeyInput {
  selector: string;
  privateKey: string;
}

export interface DoctorInput {
  newsletters: readonly NewsletterConfig[];
  /** delivery.bounceAddress, with {id} in its local part (VERP), if set. */
  bounceAddress?: string;
  dkim?: { domain: string; keys: readonly DkimKeyInput[] };
  heloName: string;
  /** False when the HELO name is this host's name because delivery.heloName is unset. */
  heloConfigured: boolean;
  /** bounces.smtp is set: our own receiver is the bounce domain's MX. */
  bounceReceiver: boolean;
  publicUrl: string;
  /** The relay from SMTP_URL; undefined: the capture transport (no mail leaves). */
  relay?: { host: string; port: number; shown: string; auth: boolean };
  /** `--ip`: the address our mail leaves from, when the relay is on this host or network. */
  sendingIp?: string;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  return v !== 0 && PRIVATE.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

export function domainOf(address: string): string | undefined {
  const parsed = addrs.parseOneAddress(address.replace('{id}', 'x'));
  return parsed && parsed.type === 'mailbox' ? (parsed as addrs.ParsedMailbox).domain.toLowerCase() : undefined;
}

async function addressesOf(dns: DnsPort, name: string): Promise<string[]> {
  if (isIP(name)) return [name];
  // RFC 6761: localhost is this host, whatever a DNS server says of it.
  if (/^localhost\.?$/i.test(name)) return ['127.0.0.1'];
  const [v4, v6] = await Promise.all([dns.a(name), dns.aaaa(name)]);
  return [...v4, ...v6];
}

const dnsProblem = (e: unknown): string => (e instanceof DnsFailure ? `${e.message}: try again, or check the DNS server` : (e as Error).message);

/** Runs every check, in the order a new sender sets things up. */
export async function runDoctor(input: DoctorInput, ports: DoctorPorts): Promise<Check[]> {
  const checks: Check[] = [];
  const run = async (make: () => Promise<Check[]>) => checks.push(...(await make()));
  const froms = [...new Map(input.newsletters.map((n) => [domainOf(n.from) ?? n.from, n])).entries()];
  const envelope = (fromDomain: string) => (input.bounceAddress ? domainOf(input.bounceAddress)! : fromDomain);
  await run(() =>
    spfChecks(
      input,
      ports,
      froms.map(([d]) => d),
      envelope,
    ),
  );
  await run(() => dkimChecks(input, ports));
  for (const [fromDomain] of froms) await run(async () => [await dmarcCheck(input, ports, fromDomain, envelope(fromDomain))]);
  await run(async () => [await mxCheck(input, ports)]);
  await run(async () => [await heloCheck(input, ports)]);
  await run(async () => [await publicUrlCheck(input, ports)]);
  await run(async () => [await relayCheck(input, ports)]);
  return checks;
}

/** Whose addresses SPF must cover: the relay's, or, when it is on this host or network, ours. */
async function sendingAddresses(input: DoctorInput, dns: DnsPort): Promise<{ ips: string[]; whose: string } | { problem: string }> {
  if (input.sendingIp) return { ips: [input.sendingIp], whose: 'the address given with --ip' };
  if (input.relay) {
    const ips = await addressesOf(dns, input.relay.host);
    if (ips.length === 0) return { problem: `the relay's name ${input.relay.host} has no address in DNS` };
    if (!ips.every(isPrivateAddress)) return { ips: ips.filter((ip) => !isPrivateAddress(ip)), whose: `the relay ${input.relay.host}` };
  }
  // The relay is this host (a local Postfix) or there is none: mail leaves from our own address.
  const ips = isIP(input.heloName) ? [input.heloName] : await addressesOf(dns, input.heloName);
  const where = input.relay ? `the relay ${input.relay.host} is on this host or network, so mail leaves from our address` : 'no relay is configured';
  if (ips.length === 0) return { problem: `${where}, and the HELO name ${input.heloName} has no address to check: give it with --ip` };
  return { ips, whose: `${where}: the HELO name ${input.heloName}` };
}

async function spfChecks(input: DoctorInput, ports: DoctorPorts, fromDomains: string[], envelope: (from: string) => string): Promise<Check[]> {
  const domains = [...new Set(fromDomains.map(envelope))];
  let sending: Awaited<ReturnType<typeof sendingAddresses>>;
  try {
    sending = await sendingAddresses(input, ports.dns);
  } catch (e) {
    return domains.map((d) => ({ id: 'spf', subject: d, status: 'fail', summary: dnsProblem(e) }));
  }
  const checks: Check[] = [];
  for (const domain of domains) {
    if ('problem' in sending) {
      checks.push({
        id: 'spf',
        subject: domain,
        status: 'warn',
        summary: `cannot tell which address SPF must cover: ${sending.problem}`,
        fix: 'run doctor with --ip ADDRESS, the public address your mail leaves from',
      });
      continue;
    }
    const sender = input.bounceAddress ? input.bounceAddress.replace('{id}', 'doctor') : `postmaster@${domain}`;
    const answers: [string, SpfAnswer][] = [];
    for (const ip of sending.ips) answers.push([ip, await checkHost(ip, domain, sender, ports.dns, input.heloName)]);
    const bad = answers.filter(([, a]) => a.result !== 'pass');
    const record = answers.find(([, a]) => a.record)?.[1].record;
    const shown = record ? ` "${record}"` : '';
    const note = answers.map(([, a]) => a.problem).find((p) => p && answers.every(([, x]) => x.result === 'pass'));
    if (bad.length === 0) {
      checks.push({
        id: 'spf',
        subject: domain,
        status: 'pass',
        summary: `the envelope domain's SPF${shown} passes ${sending.ips.join(', ')} (${sending.whose}), by ${answers[0]![1].decidedBy}; ${answers[0]![1].lookups} of 10 DNS lookups${note ? `; note: ${note}` : ''}`,
      });
      continue;
    }
    const [ip, a] = bad[0]!;
    const why =
      a.result === 'none'
        ? (a.problem ?? 'no SPF record')
        : a.result === 'permerror' || a.result === 'temperror'
          ? `${a.result}: ${a.problem}`
          : `${ip} (${sending.whose}) gets "${a.result}"${a.decidedBy ? ` by ${a.decidedBy}` : ''}`;
    const mechanism = isIP(ip) === 6 ? `ip6:${ip}` : `ip4:${ip}`;
    checks.push({
      id: 'spf',
      subject: domain,
      status: 'fail',
      summary: `SPF${shown}: ${why}`,
      fix:
        a.result === 'none'
          ? `publish TXT at ${domain}: "v=spf1 ${input.relay && !isPrivateAddress(ip) ? `include:<your relay's SPF domain> or ${mechanism}` : mechanism} -all"`
          : a.result === 'temperror'
            ? 'the DNS server did not answer: try again'
            : a.result === 'permerror'
              ? 'correct the record as the error says'
              : `add ${mechanism} (or your relay's include:) to the record before its "all"`,
    });
  }
  return checks;
}

async function dkimChecks(input: DoctorInput, ports: DoctorPorts): Promise<Check[]> {
  if (!input.dkim) {
    return [
      {
        id: 'dkim',
        subject: 'delivery.dkim',
        status: 'fail',
        summary: 'mail is not DKIM-signed: Gmail, Yahoo and Microsoft require DKIM of bulk senders, and DMARC needs it to survive forwarding',
        fix: 'make a key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dkim.pem), set delivery.dkim { domain, selector, privateKeyFile } and run doctor again for the record to publish',
      },
    ];
  }
  const checks: Check[] = [];
  for (const key of input.dkim.keys) {
    const name = `${key.selector}._domainkey.${input.dkim.domain}`;
    const publish = `publish TXT at ${name}: "${dkimRecordFor(key.privateKey)}"`;
    let txt: string[];
    try {
      txt = await ports.dns.txt(name);
    } catch (e) {
      checks.push({ id: 'dkim', subject: name, status: 'fail', summary: dnsProblem(e) });
      continue;
    }
    const records = txt.filter((t) => {
      const tags = parseTagList(t);
      return typeof tags !== 'string' && (tags.has('p') || tags.get('v') === 'DKIM1');
    });
    if (records.length === 0) {
      checks.push({
        id: 'dkim',
        subject: name,
        status: 'fail',
        summary: `no DKIM key record${txt.length ? ` (${txt.length} other TXT record(s))` : ''}: receivers cannot verify any signature`,
        fix: publish,
      });
      continue;
    }
    if (records.length > 1) {
      checks.push({ id: 'dkim', subject: name, status: 'fail', summary: `${records.length} DKIM records: receivers take either, at random`, fix: `keep one: ${publish}` });
      continue;
    }
    const verdict = judgeDkimRecord(records[0]!, key.privateKey);
    if (!verdict.ok) {
      checks.push({ id: 'dkim', subject: name, status: 'fail', summary: `${verdict.problem}: signatures made with the configured key fail`, fix: `replace it: ${publish.replace('publish ', '')}` });
      continue;
    }
    const warnings = [
      verdict.testing ? 't=y: the domain says it is testing DKIM, and some receivers ignore failures and passes alike' : '',
      verdict.bits !== undefined && verdict.bits < 2048 ? `an RSA key of ${verdict.bits} bits: use 2048` : '',
    ].filter(Boolean);
    checks.push({
      id: 'dkim',
      subject: name,
      status: warnings.length ? 'warn' : 'pass',
      summary: `the record matches the configured ${verdict.bits ? `RSA-${verdict.bits}` : 'Ed25519'} key${warnings.length ? `; but ${warnings.join('; ')}` : ''}`,
      ...(warnings.length ? { fix: verdict.testing ? 'remove t=y once signatures verify' : 'make a 2048-bit key under a new selector, publish it, then switch' } : {}),
    });
  }
  return checks;
}

async function dmarcCheck(input: DoctorInput, ports: DoctorPorts, fromDomain: string, envelopeDomain: string): Promise<Check> {
  const org = organizationalDomain(fromDomain);
  let name = `_dmarc.${fromDomain}`;
  let records: string[];
  try {
    records = dmarcRecords(await ports.dns.txt(name));
    if (records.length === 0 && org !== fromDomain) {
      name = `_dmarc.${org}`;
      records = dmarcRecords(await ports.dns.txt(name));
    }
  } catch (e) {
    return { id: 'dmarc', subject: name, status: 'fail', summary: dnsProblem(e) };
  }
  const subject = `${name} (From ${fromDomain})`;
  if (records.length === 0) {
    return {
      id: 'dmarc',
      subject,
      status: 'fail',
      summary: `no DMARC record for ${fromDomain}${org !== fromDomain ? ` or ${org}` : ''}: Gmail and Yahoo require one of bulk senders`,
      fix: `publish TXT at _dmarc.${org}: "v=DMARC1; p=none; rua=mailto:dmarc-reports@${org}" (start with p=none, watch the reports, then quarantine)`,
    };
  }
  if (records.length > 1) return { id: 'dmarc', subject, status: 'fail', summary: `${records.length} DMARC records: receivers then ignore them all`, fix: 'keep one' };
  const policy = parseDmarc(records[0]!);
  if (typeof policy === 'string')
    return { id: 'dmarc', subject, status: 'fail', summary: `the record does not parse: ${policy}`, fix: `correct it; e.g. "v=DMARC1; p=none; rua=mailto:dmarc-reports@${org}"` };
  const dkimAligned = input.dkim ? aligned(input.dkim.domain, fromDomain, policy.adkim) : false;
  const spfAligned = aligned(envelopeDomain, fromDomain, policy.aspf);
  const mode = (m: 'r' | 's') => (m === 's' ? 'strict' : 'relaxed');
  const found = `"${policy.record}"`;
  if (!dkimAligned && !spfAligned) {
    return {
      id: 'dmarc',
      subject,
      status: 'fail',
      summary: `${found}: neither DKIM (d=${input.dkim?.domain ?? 'none'}, ${mode(policy.adkim)}) nor SPF (envelope ${envelopeDomain}, ${mode(policy.aspf)}) aligns with From ${fromDomain}, so every message fails DMARC`,
      fix: `sign with delivery.dkim.domain ${policy.adkim === 's' ? fromDomain : `in ${organizationalDomain(fromDomain)}`}`,
    };
  }
  if (!dkimAligned) {
    return {
      id: 'dmarc',
      subject,
      status: 'warn',
      summary: `${found}: only SPF aligns (envelope ${envelopeDomain}); a forwarded message loses SPF and then fails DMARC`,
      fix: `sign with delivery.dkim.domain ${policy.adkim === 's' ? fromDomain : `in ${organizationalDomain(fromDomain)}`}`,
    };
  }
  const how = [`DKIM d=${input.dkim!.domain}`, spfAligned ? `SPF ${envelopeDomain}` : ''].filter(Boolean).join(' and ');
  return {
    id: 'dmarc',
    subject,
    status: 'pass',
    summary: `${found}: ${how} align with From ${fromDomain}${policy.p === 'none' ? '; p=none only reports (enough for Gmail and Yahoo; move to quarantine once the reports are clean)' : ''}${policy.rua ? '' : '; no rua=: you get no reports'}`,
  };
}

async function mxCheck(input: DoctorInput, ports: DoctorPorts): Promise<Check> {
  if (!input.bounceReceiver) return { id: 'mx', subject: 'bounces.smtp', status: 'skip', summary: 'the built-in bounce receiver is off: bounces reach you another way' };
  const domain = input.bounceAddress ? domainOf(input.bounceAddress) : undefined;
  if (!domain) {
    return {
      id: 'mx',
      subject: 'delivery.bounceAddress',
      status: 'fail',
      summary: 'bounces.smtp is on, but delivery.bounceAddress is unset: bounces go to the From address, not to the receiver',
      fix: 'set delivery.bounceAddress: bounces+{id}@bounces.your-domain',
    };
  }
  try {
    const mx = await ports.dns.mx(domain);
    if (mx.length === 0) {
      const a = await addressesOf(ports.dns, domain);
      return {
        id: 'mx',
        subject: domain,
        status: a.length ? 'warn' : 'fail',
        summary: a.length ? `no MX record: senders fall back to its address ${a.join(', ')}` : 'no MX record and no address: bounces to it cannot be delivered',
        fix: `publish MX at ${domain} pointing at the host that runs the receiver (bounces.smtp port ${input.bounceReceiver ? 'as configured' : ''}, reached on 25)`.replace(' as configured', ''),
      };
    }
    if (mx.some((r) => r.exchange === '' || r.exchange === '.'))
      return { id: 'mx', subject: domain, status: 'fail', summary: 'a null MX (RFC 7505): the domain says it takes no mail', fix: `replace it with an MX pointing at the receiver's host` };
    const missing: string[] = [];
    for (const r of mx) if ((await addressesOf(ports.dns, r.exchange)).length === 0) missing.push(r.exchange);
    const list = mx
      .sort((x, y) => x.priority - y.priority)
      .map((r) => `${r.priority} ${r.exchange}`)
      .join(', ');
    if (missing.length) return { id: 'mx', subject: domain, status: 'fail', summary: `MX ${list}: ${missing.join(', ')} has no address`, fix: `publish an A/AAAA record for ${missing.join(', ')}` };
    return { id: 'mx', subject: domain, status: 'pass', summary: `MX ${list}; make sure port 25 of that host reaches the receiver (bounces.smtp)` };
  } catch (e) {
    return { id: 'mx', subject: domain, status: 'fail', summary: dnsProblem(e) };
  }
}

async function heloCheck(input: DoctorInput, ports: DoctorPorts): Promise<Check> {
  const name = input.heloName;
  const subject = input.heloConfigured ? `delivery.heloName ${name}` : `HELO ${name} (this host's name; delivery.heloName is unset)`;
  // Behind a remote relay only the relay sees our name; receivers see the relay's.
  const seenByReceivers = !input.relay || isPrivateAddress(input.relay.host) || /^localhost\.?$/i.test(input.relay.host);
  const bad = seenByReceivers ? 'fail' : 'warn';
  if (isIP(name))
    return {
      id: 'helo',
      subject,
      status: bad,
      summary: 'an IP literal: receivers score a HELO without a name as spam',
      fix: 'set delivery.heloName to the host’s public name (its A record and PTR should match)',
    };
  if (!name.includes('.'))
    return { id: 'helo', subject, status: bad, summary: 'not a fully qualified name: receivers refuse or score it', fix: 'set delivery.heloName to the host’s public name, e.g. mail.example.org' };
  try {
    const ips = await addressesOf(ports.dns, name);
    if (ips.length === 0)
      return {
        id: 'helo',
        subject,
        status: bad,
        summary: 'does not resolve: receivers that check the HELO name refuse or score it',
        fix: `publish an A record for ${name}, or set delivery.heloName to a name that has one`,
      };
    return { id: 'helo', subject, status: 'pass', summary: `resolves to ${ips.join(', ')}${seenByReceivers ? '' : ` (the relay ${input.relay!.host} greets receivers with its own name)`}` };
  } catch (e) {
    return { id: 'helo', subject, status: 'fail', summary: dnsProblem(e) };
  }
}

async function publicUrlCheck(input: DoctorInput, ports: DoctorPorts): Promise<Check> {
  const subject = `PUBLIC_URL ${input.publicUrl}`;
  let url: URL;
  try {
    url = new URL(input.publicUrl);
  } catch {
    return { id: 'public-url', subject, status: 'fail', summary: 'not a URL', fix: 'set PUBLIC_URL to https://your-host' };
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const base = input.publicUrl.replace(/\/+$/, '');
  let health: HttpAnswer;
  let oneClick: HttpAnswer;
  try {
    health = await ports.http('GET', `${base}/healthz`);
    // A token that names no reader: the route answers 400 and nothing changes.
    oneClick = await ports.http('POST', `${base}/u/doctor-check`, { 'List-Unsubscribe': 'One-Click' });
  } catch (e) {
    return {
      id: 'public-url',
      subject,
      status: 'fail',
      summary: `cannot be reached: ${(e as Error).message}`,
      fix: 'check PUBLIC_URL, DNS, the TLS certificate and the reverse proxy in front of `newsletter start`',
    };
  }
  if (health.status !== 200 || !/"status"\s*:\s*"ok"/.test(health.body)) {
    return {
      id: 'public-url',
      subject,
      status: 'fail',
      summary: `GET /healthz answered ${health.status}: this URL does not reach the newsletter service`,
      fix: 'point PUBLIC_URL (and the proxy) at `newsletter start`',
    };
  }
  if (oneClick.status >= 300 && oneClick.status < 400) {
    return {
      id: 'public-url',
      subject,
      status: 'fail',
      summary: `the one-click POST is redirected (${oneClick.status} to ${oneClick.location ?? '?'}): mail providers do not follow it, and readers stay subscribed`,
      fix: 'set PUBLIC_URL to the final address (https, host as served), or stop the proxy redirecting POSTs',
    };
  }
  if (oneClick.status !== 400) {
    return {
      id: 'public-url',
      subject,
      status: 'fail',
      summary: `POST /u/… (one-click unsubscribe, RFC 8058) answered ${oneClick.status}, not the service's answer to an unknown link (400)`,
      fix: 'let POST requests to /u/ through the proxy',
    };
  }
  if (url.protocol !== 'https:') {
    return {
      id: 'public-url',
      subject,
      status: loopback ? 'warn' : 'fail',
      summary: `answers, but over ${url.protocol.replace(':', '')}: Gmail and Yahoo show one-click unsubscribe only for https links${loopback ? ' (fine for trying it on this machine)' : ''}`,
      fix: 'serve it over https (a reverse proxy with a certificate) and set PUBLIC_URL to the https address',
    };
  }
  return { id: 'public-url', subject, status: 'pass', summary: 'https; GET /healthz is this service, and the one-click POST reaches it (a test link, so nothing changed)' };
}

async function relayCheck(input: DoctorInput, ports: DoctorPorts): Promise<Check> {
  if (!input.relay || !ports.probeRelay) {
    return { id: 'relay', subject: 'SMTP_URL', status: 'warn', summary: 'no relay: the capture transport writes .eml files, no mail leaves', fix: 'set SMTP_URL=smtp://user:password@relay:587' };
  }
  const subject = `relay ${input.relay.shown}`;
  const probe = await ports.probeRelay();
  if (probe.failed === 'connect')
    return { id: 'relay', subject, status: 'fail', summary: `cannot talk to it: ${probe.message}`, fix: 'check the host and port in SMTP_URL, and that this host may connect out to it' };
  if (probe.failed === 'tls')
    return {
      id: 'relay',
      subject,
      status: 'fail',
      summary: `TLS failed: ${probe.message}`,
      fix: 'check the relay’s certificate and the smtps:// or smtp:// scheme (465 is smtps, 587 is smtp with STARTTLS)',
    };
  if (probe.failed === 'auth')
    return { id: 'relay', subject, status: 'fail', summary: `refused our login: ${probe.message}`, fix: 'check the user and password in SMTP_URL (URL-escape @ : / % in them)' };
  const local = isPrivateAddress(input.relay.host) || /^localhost\.?$/i.test(input.relay.host);
  const steps = [
    `EHLO ${input.heloName}`,
    probe.tls ? 'TLS' : 'no TLS',
    input.relay.auth ? `AUTH accepted${probe.authMethods.length ? ` (offered: ${probe.authMethods.join(', ')})` : ''}` : 'no login (SMTP_URL has no user)',
  ];
  if (!probe.tls && !local) {
    return {
      id: 'relay',
      subject,
      status: input.relay.auth ? 'fail' : 'warn',
      summary: `${steps.join(', ')}: ${input.relay.auth ? 'the password crosses the network in clear' : 'mail crosses the network in clear'}`,
      fix: 'use smtps:// (465) or a relay that offers STARTTLS on 587',
    };
  }
  return { id: 'relay', subject, status: 'pass', summary: `${steps.join(', ')}; no mail sent` };
}

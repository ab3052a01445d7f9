import { Command, InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import { doctorSetup } from '../app.js';
import { findNewsletter } from '../config/load.js';
import { DnsFailure, dnsServerProblem } from '../deliverability/dns.js';
import { domainOf, runDoctor, type Check } from '../deliverability/doctor.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { withConfig, type CommonOptions } from './options.js';

const LABEL: Record<Check['status'], string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

function parseDnsServer(value: string): string {
  const problem = dnsServerProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

function parseIp(value: string): string {
  if (!isIP(value)) throw new InvalidArgumentError(`"${value}" is not an IP address`);
  return value;
}

/** Checks as lines a person reads: status, what, what was found, and under it what to do. */
export function formatChecks(checks: readonly Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${LABEL[c.status]}  ${c.id.padEnd(10)} ${c.subject}`);
    lines.push(`      ${c.summary}`);
    if (c.fix && c.status !== 'pass') lines.push(`      fix: ${c.fix}`);
  }
  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  lines.push('', `${count('pass')} passed, ${count('warn')} warning(s), ${count('fail')} failed${count('skip') ? `, ${count('skip')} not applicable` : ''}`);
  return lines.join('\n') + '\n';
}

/** `newsletter doctor` */
export function doctorCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('doctor')
    .description(
      'Check what decides whether mail arrives: SPF of the envelope domain, the DKIM records against the configured keys, DMARC and its alignment with From, ' +
        'the MX of the bounce domain (when the built-in receiver is on), the HELO name, PUBLIC_URL and its one-click POST, and a login at the relay (EHLO, STARTTLS, AUTH; no mail is sent). ' +
        'Each check says pass, warn or fail, and what to fix. Exits 0 when nothing failed, 1 when a check failed, 2 when the checks cannot run.',
    )
    .option('-n, --newsletter <id>', 'only this newsletter (its From domain); default: every newsletter')
    .option('--dns <server>', 'ask this DNS server (IP[:port]) instead of the system resolver', parseDnsServer)
    .option('--ip <address>', 'the public address mail leaves from, for SPF, when the relay is on this host (default: the HELO name’s addresses)', parseIp)
    .option('--json', 'print the checks as JSON on standard output');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { newsletter?: string; dns?: string; ip?: string; json?: boolean }) => {
    const setup = doctorSetup({ configFile: opts.config, env: process.env, ...(opts.dns ? { dnsServer: opts.dns } : {}), ...(opts.ip ? { sendingIp: opts.ip } : {}) });
    const newsletters = findNewsletter(setup.config, opts.newsletter);
    // A DNS server that answers nothing at all makes every check meaningless: that is "cannot run".
    const probe = domainOf(newsletters[0]!.from) ?? 'example.org';
    try {
      await setup.ports.dns.txt(probe);
    } catch (e) {
      if (e instanceof DnsFailure) throw new NewsletterError(ErrorCodes.USAGE, `DNS (${setup.ports.dns.shown}) does not answer: ${e.message}; check --dns or the system's resolver`);
      throw e;
    }
    const checks = await runDoctor(setup.input(newsletters), setup.ports);
    if (opts.json) process.stdout.write(JSON.stringify({ newsletters: newsletters.map((n) => n.id), dns: setup.ports.dns.shown, checks }, null, 2) + '\n');
    else process.stdout.write(formatChecks(checks));
    setExit(checks.some((c) => c.status === 'fail') ? 1 : 0);
  });
}

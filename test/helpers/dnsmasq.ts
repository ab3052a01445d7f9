import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';

/**
 * A real DNS server for a test: Debian's dnsmasq on 127.0.0.1 at a free port, answering only the
 * records given (authoritative for `.test`: any other name under it is NXDOMAIN), asking nobody
 * upstream. `.ci/run` installs dnsmasq.
 */
export interface Zone {
  txt?: [name: string, value: string][];
  /** A or AAAA, by the address's kind. */
  address?: [name: string, ip: string][];
  mx?: [domain: string, exchange: string, preference: number][];
}

export interface DnsServer {
  /** host:port, for `--dns` and `createDns`. */
  server: string;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * A TXT value as dnsmasq's command line takes it: strings of at most 255 bytes (a DKIM key is
 * longer) separated by commas, taken as written (quotes would be part of the text).
 */
function txtStrings(value: string): string {
  if (value.includes(',')) throw new Error(`a TXT value for dnsmasq cannot hold a comma: ${value}`);
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts.join(',');
}

export async function startDnsmasq(zone: Zone): Promise<DnsServer> {
  const port = await freeUdpPort();
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    '--pid-file=',
    '--user=root',
    '--local=/test/',
    ...(zone.txt ?? []).map(([name, value]) => `--txt-record=${name},${txtStrings(value)}`),
    ...(zone.address ?? []).map(([name, ip]) => `--host-record=${name},${ip}`),
    ...(zone.mx ?? []).map(([domain, exchange, pref]) => `--mx-host=${domain},${exchange},${pref}`),
  ];
  const child: ChildProcess = spawn('/usr/sbin/dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it answers; at most 5 s.
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; i < 25; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr}`);
    try {
      await resolver.resolveTxt('ready.test');
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') break;
      if (i === 24) throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    server: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

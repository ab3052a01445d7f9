import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * The DNS questions the doctor asks. A name that does not exist, or has no record of the type,
 * answers `[]`; a server that cannot answer (timeout, SERVFAIL, refused) throws a DnsFailure,
 * which SPF calls a temporary error and the doctor reports as such.
 */
export interface DnsPort {
  /** TXT records, each record's strings joined (a DKIM key is split into 255-byte strings). */
  txt(name: string): Promise<string[]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
  mx(name: string): Promise<{ exchange: string; priority: number }[]>;
  /** Which server answers, for messages: "the system resolver" or "127.0.0.1:5353". */
  readonly shown: string;
}

export class DnsFailure extends Error {
  constructor(
    readonly question: string,
    readonly code: string,
  ) {
    super(`DNS could not answer for ${question} (${code})`);
  }
}

/** "No such name" and "no record of this type" are answers, not failures. */
const EMPTY = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/**
 * `server`: host or host:port ([v6]:port) of a DNS server to ask instead of the system's
 * resolvers (`doctor --dns`, and the tests' local server). Each question waits at most 3 s, twice.
 */
export function createDns(server?: string): DnsPort {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (server) resolver.setServers([server]);
  const ask = async <T>(name: string, question: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await question();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
      if (EMPTY.has(code)) return [];
      throw new DnsFailure(name, code);
    }
  };
  return {
    shown: server ?? 'the system resolver',
    txt: (name) => ask(name, async () => (await resolver.resolveTxt(name)).map((strings) => strings.join(''))),
    a: (name) => ask(name, () => resolver.resolve4(name)),
    aaaa: (name) => ask(name, () => resolver.resolve6(name)),
    mx: (name) => ask(name, () => resolver.resolveMx(name)),
  };
}

/** Checks a `--dns` value: an IP address, optionally with a port. */
export function dnsServerProblem(server: string): string | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  const host = m?.[1] ?? server;
  const port = m?.[2];
  if (!isIP(host)) return `"${server}" is not an IP address (with an optional :port), e.g. 127.0.0.1:5353 or [::1]:53`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `port ${port} is out of range`;
  return undefined;
}

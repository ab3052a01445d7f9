import { describe, expect, it } from 'vitest';
import { DnsFailure, type DnsPort } from '../../src/deliverability/dns.js';
import { checkHost } from '../../src/deliverability/spf.js';

/** A zone in memory: TXT, A, AAAA and MX by name; `broken` names fail as a server would (SERVFAIL). */
function zone(records: {
  txt?: Record<string, string[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  mx?: Record<string, string[]>;
  broken?: string[];
}): DnsPort & { asked: string[] } {
  const asked: string[] = [];
  const look = <T>(table: Record<string, T[]> | undefined, name: string): Promise<T[]> => {
    asked.push(name);
    if (records.broken?.includes(name)) return Promise.reject(new DnsFailure(name, 'ESERVFAIL'));
    return Promise.resolve(table?.[name.toLowerCase()] ?? []);
  };
  return {
    shown: 'memory',
    asked,
    txt: (n) => look(records.txt, n),
    a: (n) => look(records.a, n),
    aaaa: (n) => look(records.aaaa, n),
    mx: async (n) => (await look(records.mx, n)).map((exchange, i) => ({ exchange, priority: 10 * (i + 1) })),
  };
}

describe('SPF check_host (RFC 7208)', () => {
  it('ip4 and ip6 ranges, qualifiers, and the default when nothing matches', async () => {
    const dns = zone({ txt: { 'example.org': ['v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all'], 'neutral.org': ['v=spf1 ip4:192.0.2.1'] } });
    expect((await checkHost('192.0.2.77', 'example.org', 'b@example.org', dns)).result).toBe('pass');
    expect((await checkHost('2001:db8::5', 'example.org', 'b@example.org', dns)).result).toBe('pass');
    const soft = await checkHost('198.51.100.1', 'example.org', 'b@example.org', dns);
    expect(soft).toMatchObject({ result: 'softfail', decidedBy: '~all', record: 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all' });
    expect((await checkHost('198.51.100.1', 'neutral.org', 'b@neutral.org', dns)).result).toBe('neutral');
  });

  it('follows include, a, mx and redirect, counting DNS lookups', async () => {
    const dns = zone({
      txt: {
        'example.org': ['google-site-verification=x', 'v=spf1 include:_spf.relay.example mx a:out.example.org/28 -all'],
        '_spf.relay.example': ['v=spf1 ip4:203.0.113.0/24 -all'],
        'other.org': ['v=spf1 redirect=example.org'],
      },
      mx: { 'example.org': ['mx1.example.org'] },
      a: { 'mx1.example.org': ['198.51.100.25'], 'out.example.org': ['198.51.100.64'] },
    });
    expect(await checkHost('203.0.113.9', 'example.org', 'b@example.org', dns)).toMatchObject({ result: 'pass', decidedBy: 'include:_spf.relay.example', lookups: 1 });
    expect(await checkHost('198.51.100.25', 'example.org', 'b@example.org', dns)).toMatchObject({ result: 'pass', decidedBy: 'mx', lookups: 2 });
    // a:…/28 covers .64 to .79
    expect(await checkHost('198.51.100.70', 'example.org', 'b@example.org', dns)).toMatchObject({ result: 'pass', decidedBy: 'a:out.example.org/28' });
    expect((await checkHost('198.51.100.80', 'example.org', 'b@example.org', dns)).result).toBe('fail');
    const redirected = await checkHost('203.0.113.9', 'other.org', 'b@other.org', dns);
    expect(redirected.result).toBe('pass');
    expect(redirected.decidedBy).toContain('redirect=example.org');
  });

  it('errors as receivers see them: two records, more than 10 lookups, an include without a record, a DNS failure, a bad term', async () => {
    const chain: Record<string, string[]> = { 'deep.org': ['v=spf1 include:l1.deep.org -all'] };
    for (let i = 1; i <= 11; i++) chain[`l${i}.deep.org`] = [`v=spf1 include:l${i + 1}.deep.org -all`];
    chain['l12.deep.org'] = ['v=spf1 +all'];
    const dns = zone({
      txt: {
        ...chain,
        'two.org': ['v=spf1 -all', 'v=spf1 ip4:192.0.2.1 -all'],
        'dangling.org': ['v=spf1 include:nothing.example -all'],
        'bad.org': ['v=spf1 ip4:300.1.1.1 -all'],
        'flaky.org': ['v=spf1 include:down.example -all'],
      },
      broken: ['down.example'],
    });
    expect((await checkHost('192.0.2.1', 'two.org', 'b@two.org', dns)).result).toBe('permerror');
    const deep = await checkHost('192.0.2.1', 'deep.org', 'b@deep.org', dns);
    expect(deep.result).toBe('permerror');
    expect(deep.problem).toMatch(/more than 10/);
    expect((await checkHost('192.0.2.1', 'dangling.org', 'b@dangling.org', dns)).result).toBe('permerror');
    expect((await checkHost('192.0.2.1', 'bad.org', 'b@bad.org', dns)).result).toBe('permerror');
    expect((await checkHost('192.0.2.1', 'flaky.org', 'b@flaky.org', dns)).result).toBe('temperror');
    expect((await checkHost('192.0.2.1', 'nothing.example', 'b@nothing.example', dns)).result).toBe('none');
  });

  it('stops after two lookups that find nothing (void lookups)', async () => {
    const dns = zone({ txt: { 'voids.org': ['v=spf1 a:x1.voids.org a:x2.voids.org a:x3.voids.org -all'] } });
    const r = await checkHost('192.0.2.1', 'voids.org', 'b@voids.org', dns);
    expect(r.result).toBe('permerror');
    expect(r.problem).toMatch(/found nothing/);
  });

  it('expands macros in exists (the IP, reversed, and the sender domain)', async () => {
    const dns = zone({ txt: { 'm.org': ['v=spf1 exists:%{ir}.%{v}._spf.%{d} -all'] }, a: { '1.2.0.192.in-addr._spf.m.org': ['127.0.0.2'] } });
    expect((await checkHost('192.0.2.1', 'm.org', 'b@m.org', dns)).result).toBe('pass');
    expect((await checkHost('192.0.2.9', 'm.org', 'b@m.org', dns)).result).toBe('fail');
    expect(dns.asked).toContain('9.2.0.192.in-addr._spf.m.org');
  });

  it('does not evaluate ptr, and says so', async () => {
    const dns = zone({ txt: { 'p.org': ['v=spf1 ptr ip4:192.0.2.1 -all'] } });
    const r = await checkHost('192.0.2.1', 'p.org', 'b@p.org', dns);
    expect(r.result).toBe('pass');
    expect(r.problem).toMatch(/ptr.*deprecated/);
  });
});

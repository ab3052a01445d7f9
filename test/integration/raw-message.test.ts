import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { RawMessageTemplate } from '../../src/delivery/raw-message.js';
import { listDomain, messageIdFor, outboxKey } from '../../src/delivery/message.js';
// The oracle: nodemailer's own Mailer from fields, kept apart from the service's header code.
import { nodemailerDigest, nodemailerEml } from '../../bench/nodemailer-message.mjs';
import { renderLocale, renderForReader } from '../../src/render/pipeline.js';
import { readTemplateFiles } from '../../src/render/template-files.js';
import { parseConfigText } from '../../src/config/load.js';
import { constantParts, joinRaw, type RawPieces } from '../../src/transport/transport.js';
import type { Issue, Subscriber } from '../../src/domain/types.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { join } from 'node:path';

const issue: Issue = {
  id: 42,
  newsletterId: 'weekly-brief',
  slot: '2026-11-23T07:00:00.000Z',
  window: { start: null, end: '2026-11-23T07:00:00.000Z' },
  createdAt: '2026-11-23T07:00:00.000Z',
  articles: [
    {
      id: 'a',
      title: 'Ünïcödé & <tags> — “quotes”',
      publishedAt: '2026-11-20T00:00:00.000Z',
      topics: [],
      excerpt: 'مرحبا بالعالم. Text with = signs and trailing spaces   ',
      paragraphs: [],
      origin: 'a.md',
      translations: {},
      url: `https://example.org/${'long-path/'.repeat(20)}?a=1&b=2`,
    },
    { id: 'b', title: 'Second', publishedAt: '2026-11-19T00:00:00.000Z', topics: [], excerpt: 'x'.repeat(300), paragraphs: [], origin: 'b.md', translations: {} },
    // Dots that land at the start of encoded lines, whatever the wrapping.
    { id: 'c', title: '...and dots', publishedAt: '2026-11-18T00:00:00.000Z', topics: [], excerpt: `${'. .. ...'.repeat(60)}`, paragraphs: [], origin: 'c.md', translations: {} },
  ],
};

const readers: Subscriber[] = [
  { id: 1, email: 'zoe@example.org', name: 'Zoé Ñoño-Łukasz', locale: 'fr', timezone: 'Europe/Paris', topics: [], attributes: {} },
  { id: 2, email: 'layla@example.net', name: 'ليلى حداد', locale: 'ar', timezone: 'Asia/Dubai', topics: [], attributes: {} },
  { id: 3, email: 'o.brien+news@example.ie', name: 'O\'Brien, "Jr." <admin>', locale: 'en', timezone: '', topics: [], attributes: { company: 'Acme = Co' } },
  { id: 4, email: 'plain@example.com', name: '', locale: 'en', timezone: '', topics: [], attributes: {} },
];

describe('raw message fast path', () => {
  let project: TestProject;
  beforeAll(() => {
    project = makeProject();
  });
  afterAll(() => project.cleanup());

  it('parses to exactly what nodemailer builds, for non-ASCII names, RTL text and long URLs', async () => {
    const config = parseConfigText(readFileSync(project.configFile, 'utf8'), project.configFile);
    const newsletter = { ...config.newsletters[0]!, replyTo: 'editors@news.example.org' };
    const files = readTemplateFiles(join(project.dir, 'templates'), 'default');
    const date = new Date('2026-11-23T07:00:05Z');
    for (const reader of readers) {
      const r = await renderLocale({ issue, newsletter, locale: reader.locale, timezone: reader.timezone || undefined, files, publicUrl: 'https://news.example.test' });
      const values = {
        name: reader.name,
        email: reader.email,
        unsubscribeUrl: `https://news.example.test/u/${'t'.repeat(180)}.sig`,
        preferencesUrl: `https://news.example.test/p/${'p'.repeat(120)}`,
        attributes: reader.attributes,
      };
      const domain = listDomain(newsletter);
      const slow = nodemailerDigest({
        newsletter,
        issue,
        outboxId: 7,
        subscriber: reader,
        rendered: renderForReader(r, values),
        unsubscribeUrl: values.unsubscribeUrl,
        date,
        messageId: messageIdFor(issue, 7, domain),
        key: outboxKey(newsletter.id, issue.id, 7),
        domain,
      });
      const fast = new RawMessageTemplate(r, newsletter, issue).build(7, reader, values, date);
      const raw = joinRaw(fast.raw).toString('utf8');
      // Quoted-printable body lines within 76 characters; any line within RFC 5322's 998.
      const [head, ...body] = raw.split('\r\n\r\n');
      expect(
        body
          .join('\r\n\r\n')
          .split('\r\n')
          .filter((l) => l.length > 76),
      ).toEqual([]);
      expect(head!.split('\r\n').filter((l) => l.length > 998)).toEqual([]);
      // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose
      expect(/[^\x00-\x7f]/.test(raw), 'ASCII only').toBe(false);
      // No line starts with a dot, so nothing needs stuffing on the wire (fast-data-stream.ts).
      expect(raw.split('\r\n').filter((l) => l.startsWith('.'))).toEqual([]);
      const [a, b] = (await Promise.all([nodemailerEml(slow.mail), Promise.resolve(Buffer.from(raw))].map(async (x) => simpleParser(await x)))) as [ParsedMail, ParsedMail];
      expect(b.subject).toBe(a.subject);
      expect(b.from?.value).toEqual(a.from?.value);
      expect((b.to as { value: unknown }).value).toEqual((a.to as { value: unknown }).value);
      expect(b.replyTo?.value).toEqual(a.replyTo?.value);
      expect(b.messageId).toBe(a.messageId);
      expect(b.date?.toISOString()).toBe(a.date?.toISOString());
      expect(b.text).toBe(a.text);
      expect((b.html as string).replace(/\r\n/g, '\n')).toBe((a.html as string).replace(/\r\n/g, '\n'));
      for (const h of ['list', 'auto-submitted', 'feedback-id', 'x-newsletter-issue']) expect(b.headers.get(h), h).toEqual(a.headers.get(h));
      expect(b.headerLines.find((l) => l.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect(fast.envelope).toEqual({ from: 'brief@news.example.org', to: [reader.email] });
      expect(fast.key).toBe(slow.key);
    }
  });

  it("shares the rendering's long parts between readers and joins each reader's short runs, so a message is a few writes and a few hundred bytes of its own", async () => {
    const config = parseConfigText(readFileSync(project.configFile, 'utf8'), project.configFile);
    const newsletter = config.newsletters[0]!;
    const files = readTemplateFiles(join(project.dir, 'templates'), 'default');
    const r = await renderLocale({ issue, newsletter, locale: 'en', files, publicUrl: 'https://news.example.test' });
    const template = new RawMessageTemplate(r, newsletter, issue);
    const date = new Date('2026-11-23T07:00:05Z');
    const [x, y] = readers
      .slice(0, 2)
      .map(
        (reader, i) =>
          template.build(
            10 + i,
            reader,
            { name: reader.name, email: reader.email, unsubscribeUrl: `https://news.example.test/u/${i}`, preferencesUrl: `https://news.example.test/p/${i}`, attributes: reader.attributes },
            date,
          ).raw!,
      ) as [RawPieces, RawPieces];
    for (const m of [x, y]) {
      expect(m.parts.reduce((n, p) => n + p.length, 0)).toBe(m.length);
      // never two short parts in a row: each run of them is one write
      expect(m.parts.filter((p, i) => i > 0 && p.length < 1024 && m.parts[i - 1]!.length < 1024)).toEqual([]);
    }
    // the rendering's parts are the same Buffer objects in both, not copies: a message holds
    // only its reader's runs (headers, names, links) of its own
    const shared = x.parts.filter((p) => y.parts.includes(p));
    const own = x.length - shared.reduce((n, p) => n + p.length, 0);
    expect(shared.length).toBeGreaterThan(0);
    expect(own).toBeGreaterThan(0);
    expect(own).toBeLessThan(4096);
    // and marked constant, so the SMTP transport's DATA stream looks inside each of them once
    expect(shared.filter((p) => p.length >= 1024 && !constantParts.has(p))).toEqual([]);
    expect(shared.filter((p) => constantParts.has(p)).length).toBeGreaterThan(0);
    expect(x.parts.filter((p) => !shared.includes(p) && constantParts.has(p))).toEqual([]);
  });
});

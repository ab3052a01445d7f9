/**
 * parseReportMail on the DSNs a real Postfix wrote about our kind of message (VERP envelope
 * sender, Message-ID, X-Newsletter-Issue; test/fixtures/bounces/SOURCES.md says how), on the ARF
 * examples of RFC 5965, and on what a stranger can send instead: broken MIME, odd encodings,
 * control characters, forged dates, mails far too big.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_MAIL_BYTES, parseReportMail, type ReportMailContext } from '../../src/bounces/parse-mail.js';
import type { DeliveryReport } from '../../src/bounces/report.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/bounces/', import.meta.url));
const fixture = (path: string): string => readFileSync(`${FIXTURES}${path}`, 'utf8');
const RECEIVED = '2026-12-04T00:00:00.000Z';
const parse = (raw: Buffer | string, ctx: Partial<ReportMailContext> = {}) => parseReportMail(raw, { channel: 'import', receivedAt: RECEIVED, ...ctx });
const withoutRaw = ({ raw: _raw, ...rest }: DeliveryReport) => rest;

/** A DSN as RFC 3464 builds it; `status` is the delivery-status part's text. */
function dsn(status: string, opts: { headers?: string; encoding?: 'base64'; returned?: string } = {}): string {
  const body = opts.encoding === 'base64' ? Buffer.from(status).toString('base64') : status;
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    'To: bounces+5@news.example.test',
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Tue, 1 Dec 2026 10:00:00 +0000',
    ...(opts.headers ? [opts.headers] : []),
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--B',
    'Content-Type: message/delivery-status',
    ...(opts.encoding ? [`Content-Transfer-Encoding: ${opts.encoding}`] : []),
    '',
    body,
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    opts.returned ?? 'Return-Path: <bounces+5@news.example.test>\nMessage-ID: <weekly.3.5.xyz@news.example.test>\nX-Newsletter-Issue: weekly/3\nTo: reader@example.org',
    '--B--',
    '',
  ].join('\r\n');
}

describe('DSNs from a real Postfix (RFC 3464)', () => {
  it('reads a user-unknown DSN in full: recipient, status, diagnostic, MTA, and the clues to our outbox row', async () => {
    const [report, ...more] = await parse(fixture('postfix/user-unknown.eml'));
    expect(more).toEqual([]);
    expect(withoutRaw(report!)).toEqual({
      kind: 'hard-bounce',
      channel: 'import',
      recipient: 'nosuchuser@localhost',
      status: '5.1.1',
      diagnostic: 'unknown user: "nosuchuser"',
      reportingMta: 'mx.localhost',
      envelopeTo: 'bounces+17@localhost',
      originalMessageId: '<weekly.3.17.xyz@news.example.test>',
      issueHeader: 'weekly/3',
      at: '2026-12-03T09:29:43.000Z',
    });
    // The operator reads what was said: the notice and the status fields, not MIME.
    expect(report!.raw).toContain('<nosuchuser@localhost>: unknown user: "nosuchuser"');
    expect(report!.raw).toContain('Final-Recipient: rfc822; nosuchuser@localhost');
    expect(report!.raw).not.toContain('--5870417872B');
  });

  it.each([
    ['user-unknown', 'hard-bounce', 'nosuchuser@localhost', '5.1.1', 'bounces+17@localhost', 17],
    ['no-domain', 'hard-bounce', 'reader@no-such-domain.invalid', '5.4.4', 'bounces+23@localhost', 23],
    ['no-domain-native-lookup', 'hard-bounce', 'reader@nosuch-domain.invalid', '5.4.4', 'bounces+17@localhost', 17],
    ['delayed-dns', 'soft-bounce', 'reader@nosuch-domain.invalid', '4.4.3', 'bounces+17@localhost', 17],
    ['expired-connect-refused', 'soft-bounce', 'reader@slow.example.test', '4.4.1', 'bounces+20@localhost', 20],
    // 5.2.2 is "mailbox full": servers send it as permanent, it passes; report.ts counts it soft.
    ['mailbox-full', 'soft-bounce', 'fullbox@localhost', '5.2.2', 'bounces+19@localhost', 19],
    ['success-expanded', 'delivered', 'okreader@localhost', '2.0.0', 'bounces+21@localhost', 21],
    ['headers-only', 'hard-bounce', 'nobody-here@localhost', '5.1.1', 'bounces+24@localhost', 24],
  ])('%s → %s', async (name, kind, recipient, status, envelopeTo, outbox) => {
    const reports = await parse(fixture(`postfix/${name}.eml`));
    expect(reports.map((r) => [r.kind, r.recipient, r.status, r.envelopeTo, r.originalMessageId, r.issueHeader])).toEqual([
      [kind, recipient, status, envelopeTo, `<weekly.3.${outbox}.xyz@news.example.test>`, 'weekly/3'],
    ]);
  });

  it('gives one report per recipient of a DSN that lists several', async () => {
    const reports = await parse(fixture('postfix/two-recipients.eml'));
    expect(reports.map((r) => [r.kind, r.recipient, r.diagnostic])).toEqual([
      ['hard-bounce', 'ghost2@localhost', 'unknown user: "ghost2"'],
      ['hard-bounce', 'ghost1@localhost', 'unknown user: "ghost1"'],
    ]);
    expect(new Set(reports.map((r) => r.originalMessageId))).toEqual(new Set(['<weekly.3.22.xyz@news.example.test>']));
  });

  it('reads the same mail with CRLF line ends (as SMTP carries it) or bare CRs (old Mac files)', async () => {
    const lf = (await parse(fixture('postfix/two-recipients.eml'))).map(withoutRaw);
    expect((await parse(fixture('postfix/two-recipients.eml').replace(/\n/g, '\r\n'))).map(withoutRaw)).toEqual(lf);
    expect((await parse(Buffer.from(fixture('postfix/two-recipients.eml').replace(/\n/g, '\r')))).map(withoutRaw)).toEqual(lf);
  });

  it('is a bounce though Postfix marks it Auto-Submitted: auto-replied', async () => {
    const mail = fixture('postfix/user-unknown.eml');
    expect(mail).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect((await parse(mail))[0]!.kind).toBe('hard-bounce');
  });

  it('takes the envelope address from the caller first, then X-Original-To/Delivered-To, then the returned Return-Path', async () => {
    const mail = fixture('postfix/user-unknown.eml');
    expect((await parse(mail, { envelopeTo: 'Bounces+17-SIGNED@news.example.test' }))[0]!.envelopeTo).toBe('bounces+17-signed@news.example.test');
    expect((await parse(mail))[0]!.envelopeTo).toBe('bounces+17@localhost');
    const bare = mail.replace(/^(X-Original-To|Delivered-To): .*\n/gm, '').replace('Return-Path: <bounces+17@localhost>', 'Return-Path: <bounces+17-from-copy@localhost>');
    expect((await parse(bare))[0]!.envelopeTo).toBe('bounces+17-from-copy@localhost');
  });
});

describe('DSN fields', () => {
  const block = (fields: string) => `Reporting-MTA: dns; mx.example.org\n\n${fields}\n`;

  it.each([
    ['Action: failed\nStatus: 5.1.1', 'hard-bounce'],
    ['Action: failed\nStatus: 4.2.0', 'soft-bounce'],
    ['Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 552 mailbox over quota', 'soft-bounce'],
    ['Action: failed', 'soft-bounce'],
    ['Action: delayed\nStatus: 4.4.7', 'soft-bounce'],
    ['Action: relayed\nStatus: 2.0.0', 'delivered'],
    ['Action: delivered (to mailbox)\nStatus: 2.0.0', 'delivered'],
    ['Status: 5.1.1', 'hard-bounce'],
    ['Action: something-new', 'unknown'],
  ])('%j → %s', async (fields, kind) => {
    const [r] = await parse(dsn(block(`Final-Recipient: rfc822; Reader@Example.ORG\n${fields}`)));
    expect(r!.kind).toBe(kind);
    expect(r!.recipient).toBe('reader@example.org');
  });

  it('prefers Original-Recipient (the address we sent to) over Final-Recipient (where a forward led)', async () => {
    const [r] = await parse(dsn(block('Original-Recipient: rfc822;reader@example.org\nFinal-Recipient: rfc822; reader.forwarded@gmail.example\nAction: failed\nStatus: 5.1.1')));
    expect(r!.recipient).toBe('reader@example.org');
  });

  it('reads a delivery-status part sent in base64', async () => {
    const [r] = await parse(dsn(block('Final-Recipient: rfc822; reader@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp;\n 550 5.1.1 no such\n user'), { encoding: 'base64' }));
    expect([r!.kind, r!.status, r!.diagnostic]).toEqual(['hard-bounce', '5.1.1', '550 5.1.1 no such user']);
  });

  it('takes Last-Attempt-Date, then the report Date; a date after arrival or without a zone counts for nothing', async () => {
    const at = async (fields: string, headers?: string) => (await parse(dsn(block(`Final-Recipient: rfc822; r@example.org\nAction: failed\nStatus: 5.1.1\n${fields}`), { headers })))[0]!.at;
    expect(await at('Last-Attempt-Date: Mon, 30 Nov 2026 23:00:00 -0100')).toBe('2026-12-01T00:00:00.000Z');
    expect(await at('')).toBe('2026-12-01T10:00:00.000Z');
    expect(await at('Last-Attempt-Date: Fri, 1 Jan 2100 00:00:00 +0000')).toBe('2026-12-01T10:00:00.000Z');
    const noDate = (fields: string) => parse(dsn(block(`Final-Recipient: rfc822; r@example.org\nAction: failed\n${fields}`)).replace(/^Date: .*\r\n/m, ''));
    expect((await noDate('Last-Attempt-Date: garbage 12'))[0]!.at).toBe(RECEIVED);
    expect((await noDate('Last-Attempt-Date: 1 Dec 2026 10:00:00'))[0]!.at).toBe(RECEIVED);
  });
});

describe('ARF complaints (RFC 5965)', () => {
  it('reads the complete example of Appendix B.2', async () => {
    const [report, ...more] = await parse(fixture('rfc5965/b2-complete.eml'));
    expect(more).toEqual([]); // Removal-Recipient names the same reader as Original-Rcpt-To
    expect(withoutRaw(report!)).toEqual({
      kind: 'complaint',
      channel: 'import',
      recipient: 'user@example.com',
      feedbackType: 'abuse',
      reportingMta: 'mail.example.com',
      envelopeTo: 'somespammer@example.net',
      originalMessageId: '<8787KJKJ3K4J3K4J3K4J3.mail@example.net>',
      at: '2005-03-08T21:40:36.000Z',
    });
    expect(report!.raw).toContain('Feedback-Type: abuse');
  });

  it('reads the simple example of Appendix B.1: a complaint, with no recipient to name', async () => {
    const [r] = await parse(fixture('rfc5965/b1-simple.eml'));
    expect([r!.kind, r!.feedbackType, r!.recipient, r!.originalMessageId]).toEqual(['complaint', 'abuse', undefined, '<8787KJKJ3K4J3K4J3K4J3.mail@example.net>']);
  });

  it.each([
    ['fraud', 'complaint'],
    ['virus', 'complaint'],
    ['other', 'complaint'],
    ['not-spam', 'unknown'],
    ['auth-failure', 'unknown'],
    ['Something-New', 'unknown'],
  ])('Feedback-Type %s → %s', async (type, kind) => {
    const [r] = await parse(fixture('rfc5965/b2-complete.eml').replace('Feedback-Type: abuse', `Feedback-Type: ${type}`));
    expect([r!.kind, r!.feedbackType]).toEqual([kind, type.toLowerCase()]);
  });

  it('falls back to the returned message To for the recipient, and to the caller for the envelope', async () => {
    const mail = fixture('rfc5965/b2-complete.eml')
      .replace(/^(Original-Rcpt-To|Removal-Recipient): .*\n/gm, '')
      .replace('To: <Undisclosed Recipients>', 'To: "A Reader" <A.Reader@example.com>');
    const [r] = await parse(mail, { envelopeTo: 'fbl@news.example.test' });
    expect([r!.recipient, r!.envelopeTo]).toEqual(['a.reader@example.com', 'fbl@news.example.test']);
  });
});

const mail = (headers: string, body = 'I am away until Monday.') => `From: Reader <reader@example.org>\nTo: bounces+5@news.example.test\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n${headers}\n\n${body}\n`;

describe('auto-replies (RFC 3834 and older habits)', () => {
  it.each([
    ['Auto-Submitted: auto-replied\nSubject: Re: Weekly Brief'],
    ['X-Autoreply: yes\nSubject: Re: Weekly Brief'],
    ['X-Autorespond: Weekly Brief\nSubject: Re: Weekly Brief'],
    ['Precedence: auto_reply\nSubject: Re: Weekly Brief'],
    ['Subject: Out of Office: Weekly Brief #3'],
    ['Subject: Automatic reply: Weekly Brief #3'],
    ['Subject: Abwesenheitsnotiz: Weekly Brief #3'],
    ['Subject: =?UTF-8?Q?R=C3=A9ponse_automatique_:_Weekly_Brief?='],
  ])('%j → auto-reply, never a bounce', async (headers) => {
    const reports = await parse(mail(`${headers}\nIn-Reply-To: <weekly.3.5.xyz@news.example.test>`, 'Mailbox full of holiday wishes; I will try again later to read mail.'));
    expect(reports.map(withoutRaw)).toEqual([
      { kind: 'auto-reply', channel: 'import', recipient: 'reader@example.org', originalMessageId: '<weekly.3.5.xyz@news.example.test>', at: '2026-12-01T10:00:00.000Z' },
    ]);
  });

  it('Auto-Submitted: auto-generated alone is no auto-reply', async () => {
    expect((await parse(mail('Auto-Submitted: auto-generated\nSubject: Your weekly statistics')))[0]!.kind).toBe('unknown');
  });
});

describe('anything else, and what strangers send', () => {
  it('a reply from a reader is unknown, kept with its text', async () => {
    const reports = await parse(mail('Subject: Re: Weekly Brief #3', 'Thanks, great issue!'));
    expect(reports.map((r) => [r.kind, r.recipient])).toEqual([['unknown', undefined]]);
    expect(reports[0]!.raw).toContain('Thanks, great issue!');
  });

  it.each([
    ['empty', ''],
    ['one word', 'hello'],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256))],
    ['NUL bytes', 'From: x\0y\n\n\0\0\0'],
    ['a multipart whose boundary never comes', 'Content-Type: multipart/report; report-type=delivery-status; boundary="nope"\n\n--other\n\ntext'],
    ['a multipart with no boundary', 'Content-Type: multipart/mixed\n\n--x\n\ntext'],
    ['parts nested past the parser limit', `Content-Type: multipart/mixed; boundary="b"\n\n${'--b\nContent-Type: text/plain\n\nx\n'.repeat(500)}--b--\n`],
    // Shapes that make a careless pattern backtrack for minutes (a test timeout, not a clock, catches them).
    ['a line of a million dashes', `From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n${'-'.repeat(MAX_MAIL_BYTES)}`],
    [
      'a To field of 200,000 letters',
      `From: MAILER-DAEMON@mx.example.org\nTo: ${'a'.repeat(200_000)}\nSubject: failure notice\n\n--- Below this line is a copy of the message.\nTo: ${'b'.repeat(200_000)}\n\n`,
    ],
    ['thousands of lines that look like reasons', `From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n${`${'word '.repeat(60)}: x@y\n`.repeat(3000)}`],
    [
      'a broken encoded word and charset',
      'From: =?x-unknown?B?####?= <a@b>\nSubject: =?UTF-8?Q?=FF=FE?=\nContent-Type: text/plain; charset=x-nonsense\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!',
    ],
  ])('%s: one report, no error', async (_name, raw) => {
    const reports = await parse(raw);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    for (const r of reports) expect(r.raw.length).toBeLessThanOrEqual(8192 + 40);
  });

  it('strips control and bidi characters and caps a diagnostic at 1,000 characters', async () => {
    const evil = `550 5.1.1 \u001b[2J\u001b[31mgone\u202e\u0007 ${'x'.repeat(5000)}`;
    const [r] = await parse(dsn(`Final-Recipient: rfc822; r@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; ${evil}\n`));
    expect(r!.diagnostic!.startsWith('550 5.1.1 [2J[31mgone ')).toBe(true);
    expect(r!.diagnostic).toHaveLength(1000);
    for (const c of ['\u0007', '\u001b', '\u202e']) expect(r!.raw).not.toContain(c);
  });

  it("passes on no recipient that is not an address; the copy's To, when it names one reader, stands in", async () => {
    const junk = 'Final-Recipient: rfc822; <script>alert(1)</script>\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822;|/usr/bin/procmail\nAction: failed\nStatus: 5.0.0\n';
    expect((await parse(dsn(junk))).map((r) => [r.kind, r.recipient])).toEqual([
      ['hard-bounce', 'reader@example.org'],
      ['hard-bounce', 'reader@example.org'],
    ]);
    const noCopyTo = await parse(dsn(junk, { returned: 'Message-ID: <weekly.3.5.xyz@news.example.test>\nTo: a@example.org, b@example.org' }));
    expect(noCopyTo.map((r) => [r.kind, r.recipient])).toEqual([
      ['hard-bounce', undefined],
      ['hard-bounce', undefined],
    ]);
  });

  it('does not take a header smuggled into a field for a header', async () => {
    const returned = 'Message-ID: <a@b> X-Newsletter-Issue: forged/1\nTo: reader@example.org';
    const [r] = await parse(dsn('Final-Recipient: rfc822; r@example.org\nAction: failed\nStatus: 5.1.1\n', { returned }));
    expect([r!.originalMessageId, r!.issueHeader]).toEqual(['<a@b>', undefined]);
  });

  it('reads only the first 1 MiB, and keeps 8 KiB of text', async () => {
    const huge = dsn('Final-Recipient: rfc822; r@example.org\nAction: failed\nStatus: 5.1.1\n', { returned: `To: r@example.org\n\n${'y'.repeat(3 * MAX_MAIL_BYTES)}` });
    const [r] = await parse(huge);
    expect([r!.kind, r!.recipient]).toEqual(['hard-bounce', 'r@example.org']);
    expect(r!.raw.length).toBeLessThanOrEqual(8192 + 40);
    // The status part past the first MiB is never read.
    const late = dsn('Final-Recipient: rfc822; r@example.org\nAction: failed\nStatus: 5.1.1\n').replace('Your message could not be delivered.', 'z'.repeat(MAX_MAIL_BYTES));
    expect((await parse(Buffer.from(late))).map((x) => x.kind)).toEqual(['unknown']);
    expect((await parse(late)).map((x) => x.kind)).toEqual(['unknown']);
  });
});

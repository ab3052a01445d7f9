/**
 * parseReportMail on real report mails that MTAs and providers sent, collected by the Sisimai
 * project (test/fixtures/bounces/SOURCES.md: commit, names, BSD-2-Clause licence): standard DSNs,
 * bounces in prose (Exim, qmail, old Sendmail, Exchange, Gmail, Yahoo …), ARF and JMRP
 * complaints, auto-replies, and mails that are none of these.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseReportMail } from '../../src/bounces/parse-mail.js';
import type { ReportKind } from '../../src/bounces/report.js';

const DIR = fileURLToPath(new URL('../fixtures/bounces/sisimai/', import.meta.url));
const parse = (name: string) => parseReportMail(readFileSync(`${DIR}${name}.eml`), { channel: 'imap', receivedAt: '2027-01-01T00:00:00.000Z' });

/** name → one [kind, recipient, status] per report, in the order the mail lists them. */
const EXPECTED: [string, [ReportKind, string | null, string | null][]][] = [
  // RFC 3464 DSNs. The Status field is taken as written, even where the Diagnostic-Code says more.
  ['rfc3464-01', [['hard-bounce', 'userunknown@bouncehammer.jp', '5.1.1']]],
  ['rfc3464-03', [['hard-bounce', 'kijitora@example.com', '5.0.0']]], // a policy rejection: class 5 is hard
  ['rfc3464-09', [['soft-bounce', 'kijitora-nyaaaaaan@example.co.jp', '4.3.0']]], // multipart/mixed, quota exceeded
  ['rfc3464-51', [['hard-bounce', 'kijitora@example.de', '5.0.0']]], // Gmail
  ['lhost-outlook-01', [['soft-bounce', 'kijitora@example.jp', '5.2.2']]], // Hotmail, mailbox full
  ['lhost-exchange2007-01', [['hard-bounce', 'mikeneko@example.co.jp', '5.1.1']]],
  ['lhost-office365-06', [['soft-bounce', 'neko@libsisimai.org', '5.4.312']]], // "Message expired": given up after retries
  ['lhost-courier-01', [['hard-bounce', 'kijitora@example.co.jp', '5.0.0']]],
  ['lhost-sendmail-25', [['hard-bounce', '=?utf-8?b?8j+qipcfkig=?=@example.org', '5.1.1']]], // an RFC 2047 word where no word may be
  ['lhost-postfix-01', [['hard-bounce', 'kijitora@example.org', '5.1.1']]], // Original-Recipient, not procmail's local name
  ['lhost-amazonses-01', [['hard-bounce', 'shironeko@example.co.jp', '5.0.0']]],
  ['lhost-sendgrid-03', [['soft-bounce', 'kijitora@example.org', null]]], // "Action: expired", empty Status
  ['rhost-google-02', [['hard-bounce', 'neko-nyaan@example.org', '5.1.1']]], // its MIME boundary never comes: read as text
  // Bounces in prose.
  ['lhost-exim-01', [['hard-bounce', 'kijitora@example.ed.jp', '5.7.0']]],
  [
    'lhost-exim-02',
    [
      ['hard-bounce', 'kijitora@example.jp', '5.1.1'],
      ['hard-bounce', 'sabatora@example.jp', '5.2.1'],
    ],
  ],
  ['lhost-exim-06', [['soft-bounce', 'kijitora@example.com', null]]], // "retry timeout exceeded"
  ['lhost-exim-07', [['soft-bounce', null, null]]], // "save to xxxx": a file, no address; "mailbox is full"
  ['lhost-qmail-01', [['hard-bounce', 'kijitora@example.ne.jp', '5.5.0']]],
  [
    'lhost-qmail-02',
    [
      ['hard-bounce', 'userunknown@example.jp', '5.1.1'],
      ['hard-bounce', 'filtered@example.jp', '5.2.1'],
    ],
  ],
  ['lhost-qmail-05', [['soft-bounce', 'kijitora@example.net', '4.4.3']]], // "permanent error" in words, 4.4.3 in code
  ['lhost-v5sendmail-01', [['soft-bounce', 'kijitora@example.com', null]]], // 421 Deferred; the recipient from the copy's To
  ['lhost-exchange2003-01', [['hard-bounce', 'kijitora@example.jp', null]]], // "The recipient name is not recognized"
  ['lhost-office365-01', [['hard-bounce', 'kijitora@example.com', '5.1.10']]],
  ['lhost-gmail-01', [['hard-bounce', 'userunknown@example.jp', '5.1.1']]],
  ['lhost-gmail-05', [['hard-bounce', 'shironeko@example.jp', '5.7.1']]], // quoted-printable
  ['lhost-gmail-06', [['soft-bounce', 'kijitora@example.jp', '4.2.2']]], // "will be retried"
  ['lhost-yahoo-01', [['hard-bounce', 'kijitora@example.org', '5.1.1']]],
  [
    'lhost-opensmtpd-02',
    [
      ['soft-bounce', 'mailboxfull@example.jp', '5.2.2'],
      ['hard-bounce', 'userunknown@example.jp', '5.1.1'],
    ],
  ],
  ['lhost-imailserver-02', [['soft-bounce', 'kijitora@example.co.jp', null]]], // "User mailbox exceeds allowed size"
  ['rfc3464-37', [['hard-bounce', 'kijitora@neko.nyaan.example.com', null]]], // "... unknown host"
  // Complaints. Only abuse/fraud/virus/other is a reader's complaint.
  ['arf-01', [['complaint', 'redacted@example.net', null]]], // no Original-Rcpt-To: the copy's To, redacted as it is
  ['arf-02', [['complaint', 'this-local-part-does-not-exist-on-yahoo@yahoo.com', null]]],
  ['arf-12', [['unknown', 'user@example.com', null]]], // Feedback-Type: opt-out (Removal-Recipient)
  ['arf-14', [['complaint', 'kijitora@y.example.com', null]]], // Amazon SES
  [
    'arf-16',
    ['kijitora@example.com', 'sironeko@example.com', 'mikeneko@example.com', 'sabatora@example.com', 'sirokiji@example.org', 'kuroneko@example.com', 'sabineko@example.com'].map(
      (r): [ReportKind, string, null] => ['complaint', r, null],
    ),
  ],
  ['arf-18', [['unknown', 'kijitora@example.com', null]]], // a DMARC failure report, not the reader's
  ['arf-22', [['complaint', 'kijitora@example.com', null]]], // Microsoft JMRP: X-HmXmrOriginalRecipient
  // Auto-replies.
  ['rfc3834-01', [['auto-reply', 'kijitora@example.net', null]]],
  ['rfc3834-02', [['auto-reply', 'nekonyaan@example.org', null]]],
  ['rfc3834-04', [['auto-reply', 'kijitora@example.org', null]]],
  ['rfc3834-06', [['auto-reply', 'noreply@example.com', null]]],
  // Neither: a Google Groups notice says auto-replied and comes from mailer-daemon, but is no bounce and no person.
  ['lhost-googlegroups-01', [['unknown', null, null]]],
  ['is-not-bounce-01', [['unknown', null, null]]],
  ['is-not-bounce-02', [['unknown', null, null]]],
];

describe('real report mails (Sisimai set-of-emails)', () => {
  it('covers every fixture in the folder', () => {
    const files = readdirSync(DIR).map((f) => f.replace(/\.eml$/, ''));
    expect(new Set(files)).toEqual(new Set(EXPECTED.map(([name]) => name)));
  });

  it.each(EXPECTED)('%s', async (name, expected) => {
    const reports = await parse(name);
    expect(reports.map((r) => [r.kind, r.recipient ?? null, r.status ?? null])).toEqual(expected);
    for (const r of reports) {
      expect(r.channel).toBe('imap');
      expect(r.raw.length).toBeGreaterThan(0);
      expect(r.diagnostic?.length ?? 0).toBeLessThanOrEqual(1000);
    }
  });

  it.each([
    ['lhost-exim-06', '<00000000000000000000000000000000@mx.example.org>', 'retry timeout exceeded'],
    ['lhost-qmail-05', '<00000000.000000000@example.jp>', 'Unable to contact LDAP server. (#4.4.3)'],
    ['lhost-gmail-01', '<D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com>', '550 5.1.1 <userunknown@example.jp>... User Unknown'],
    ['lhost-gmail-05', '<106A231A-B504-44EF-9BF2-8A382AB84E80@gmail.com>', 'Access denied (state 13).'],
  ])('a bounce in prose keeps its reason and finds the Message-ID in the copy: %s', async (name, messageId, words) => {
    const [r] = await parse(name);
    expect(r!.originalMessageId).toBe(messageId);
    expect(r!.diagnostic).toContain(words);
  });

  it('reads the Exim reason of each recipient apart', async () => {
    const reports = await parse('lhost-exim-02');
    expect(reports.map((r) => r.diagnostic)).toEqual([
      'SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>: host mx.example.jp [192.0.2.153]: 550 5.1.1 <kijitora@example.jp>... User Unknown',
      'SMTP error from remote mail server after RCPT TO:<sabatora@example.jp>: host mx.example.jp [192.0.2.153]: 550 5.2.1 <sabatora@example.jp>... User Unknown',
    ]);
  });

  it('keeps what a complaint says of itself', async () => {
    const [ses] = await parse('arf-14');
    expect([ses!.feedbackType, ses!.originalMessageId, ses!.envelopeTo]).toEqual([
      'abuse',
      '<2222222222222222-00000000-eeee-eeee-ffff-222222222222-111111@email.amazonses.com>',
      '2222222222222222-22222222-0000-eeee-ffff-222222222222-222222@amazonses.com',
    ]);
    const [jmrp] = await parse('arf-22');
    expect(jmrp!.feedbackType).toBeUndefined();
    const [optOut] = await parse('arf-12');
    expect(optOut!.feedbackType).toBe('opt-out');
  });
});

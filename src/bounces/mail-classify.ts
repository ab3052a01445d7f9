import type { ReportKind } from './report.js';

/**
 * Hard or soft, from what a report says. A hard bounce suppresses an address for good, a soft one
 * is only counted (suppression after `softBounces.limit`), so where the signals disagree or are
 * missing the answer is soft:
 *   1. a soft phrase ("mailbox full", "try again later") or status X.2.2 (mailbox full, which
 *      servers send as 5.2.2 though it passes) → soft
 *   2. the status class: 5.x.x / 5xx → hard, 4.x.x / 4xx → soft
 *   3. a hard phrase ("user unknown", "no such user", "does not exist") → hard
 *   4. nothing to go on → soft
 */
export type BounceKind = Extract<ReportKind, 'hard-bounce' | 'soft-bounce'>;

/** An enhanced status code (RFC 3463), not part of an IP address or version number. */
const ENHANCED_CODE = /(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g;
/** A basic SMTP reply code at the start of a reply (`550 `, `550-`, `#550`). */
const SMTP_CODE = /(?<![\w.:/-])([245])[0-5]\d(?=[\s-]|$)/gm;

const SOFT_PHRASES = [
  /mail ?box (is )?full|mailbox.{0,30}(full|over (the )?quota)|over ?quota|quota (exceeded|exceed)|exceeded (the |his |her |their )?(storage|quota)/i,
  /insufficient (system )?storage|not enough (disk )?space|out of (disk )?(space|storage)|exceed(s|ed)? (the )?(allowed|maximum|quota|storage)/i,
  /try (again )?later|please retry|temporar(il)?y|deferred|greylist|graylist/i,
  /(envelope|message) (has )?expired|expired after|retry timeout exceeded|in the queue too long|too long in the queue|still being retried|has been delayed|delivery (is )?delayed|will retry/i,
];

const HARD_PHRASES = [
  /user unknown|unknown user|no such (user|mailbox|recipient|address|account|person)|user not found|recipient not found|mailbox not found/i,
  /mailbox (is )?unavailable|n[o']t exist|no mailbox|invalid (recipient|mailbox|address|user)/i,
  /unknown (recipient|mailbox|address|local part)|recipient (address )?rejected|address rejected|unrouteable address|not (a )?valid (recipient|mailbox)/i,
  /(recipient|address|name) (is )?not recognized|account (has been |is )?(disabled|deactivated|closed|suspended)|host or domain name not found|domain (name )?not found|no such domain|unknown host|host unknown/i,
];

/** Words of a notice that reports a delivery, not a failure (Exchange, Notes and others write them in prose). */
const SUCCESS = /\b(was|were|has been|have been) (successfully )?(delivered|relayed)\b|delivery to .{0,80}(is|was|has been) (complete|successful)|successfully delivered/i;

export function saysDelivered(words: string): boolean {
  return SUCCESS.test(words.slice(0, 4000));
}

/** The first enhanced status code of class 4 or 5 in `text` (a 2.x.x is no failure and is skipped). */
export function findStatus(text: string): string | undefined {
  for (const m of text.matchAll(ENHANCED_CODE)) {
    if (m[1] !== '2') return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
  }
  return undefined;
}

/** The first basic reply code of class 4 or 5 in `text`. */
export function findSmtpCode(text: string): string | undefined {
  for (const m of text.matchAll(SMTP_CODE)) {
    if (m[1] !== '2') return m[0];
  }
  return undefined;
}

/** What a failure is, from its status (when given) and its words; undefined when nothing says it failed. */
export function classifyFailure(status: string | undefined, words: string): BounceKind | undefined {
  const text = words.slice(0, 4000);
  const code = status ?? findStatus(text);
  if (code && /^[45]\.2\.2$/.test(code)) return 'soft-bounce';
  if (SOFT_PHRASES.some((p) => p.test(text))) return 'soft-bounce';
  const cls = code?.[0] ?? findSmtpCode(text)?.[0];
  if (cls === '5') return 'hard-bounce';
  if (cls === '4') return 'soft-bounce';
  if (HARD_PHRASES.some((p) => p.test(text))) return 'hard-bounce';
  return undefined;
}

/** `classifyFailure`, soft when nothing is known: the mail is surely a failure, of what kind it does not say. */
export function failureKind(status: string | undefined, words: string): BounceKind {
  return classifyFailure(status, words) ?? 'soft-bounce';
}

const AUTO_REPLY_SUBJECT = new RegExp(
  [
    '\\bauto(matic|matische|matisch)?[ _-]?(reply|replied|response|respons|antwort|answer)',
    '\\bout[ -]of[ -](the[ -])?office\\b',
    '\\babwesenheit',
    'r[ée]ponse automatique',
    'respuesta autom[áa]tica',
    'risposta automatica',
    'resposta autom[áa]tica',
    'automatisch antwoord',
    '^(away|on vacation|vacation)\\b',
  ].join('|'),
  'i',
);

/**
 * RFC 3834 and the older habits of vacation programs. `Auto-Submitted: auto-replied` is also on
 * bounces (Postfix, Exim), so the caller asks this only of a mail that is not a DSN, ARF or
 * bounce.
 */
export function isAutoReply(header: (name: string) => string | undefined, subject: string): boolean {
  if (/^auto-replied\b/i.test(header('auto-submitted') ?? '')) return true;
  const flag = header('x-autoreply') ?? header('x-autorespond') ?? header('x-autoresponse');
  if (flag !== undefined && !/^\s*(no|false|0)\s*$/i.test(flag)) return true;
  if (/^\s*auto[_-]reply\s*$/i.test(header('precedence') ?? '')) return true;
  return AUTO_REPLY_SUBJECT.test(subject);
}

const DAEMON_SENDER = /^(mailer-daemon|mailer_daemon|maildaemon|mail-daemon|postmaster|mdaemon|mail\.delivery|bounce[sd]?|nobody)@/i;
const DAEMON_NAME = /mail delivery (system|subsystem|service)|mailer[- ]daemon|postmaster|system administrator|delivery status notification/i;
const BOUNCE_SUBJECT = new RegExp(
  [
    'undeliver',
    'undelivered',
    'not delivered',
    'returned mail',
    'returned to sender',
    'delivery (status notification|failure|failed|has failed|problem|report|notification|incomplete)',
    'failure notice',
    'mail delivery (failed|failure|system|subsystem)',
    'non-?delivery',
    'nondeliverable',
    'could not be delivered',
    'delayed mail',
    'warning: (could not|message)',
    'mail system error',
    'unzustellbar',
    'non remis',
    'no entregado',
  ].join('|'),
  'i',
);

/** Whether a mail comes from a mail system (MAILER-DAEMON, postmaster, "Mail Delivery System"). */
export function isDaemonSender(address: string | undefined, fromField: string): boolean {
  return DAEMON_SENDER.test(address ?? '') || DAEMON_NAME.test(fromField);
}

/** Whether a subject is one mail systems give their failure notices. */
export function hasBounceSubject(subject: string): boolean {
  return BOUNCE_SUBJECT.test(subject);
}

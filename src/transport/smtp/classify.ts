import { TransportError } from '../transport.js';
/**
 * What an SMTP or network error means for the outbox row (SMTP reply codes and RFC 3463
 * enhanced status codes):
 * - transient:   nothing was accepted; retry later (4xx, 5.2.2 mailbox full, failures to connect)
 * - throttle:    421: the receiving domain asks us to slow down; retry later, and hold its other readers
 * - permanent:   the server refused this message for good (other 5xx)
 * - hard-bounce: the address does not exist (5.1.1, 5.1.2, 5.1.3, 5.2.1): failed, and the address suppressed
 * - sender-auth: our own authentication or policy is wrong (5.7.x such as DMARC 5.7.26, login refused):
 *                not the reader's fault, so the issue pauses and the reader stays queued
 * - unknown:     the connection died after the message data may have been sent; it may have arrived
 * Where the transport says whether the message data was started (`dataStarted`), that decides
 * between transient and unknown for a dropped connection; nodemailer's own `command` does not.
 */
export type VerdictKind = 'transient' | 'throttle' | 'permanent' | 'hard-bounce' | 'sender-auth' | 'unknown';
export type Verdict = { kind: VerdictKind; reason: string; enhanced?: string };

interface MailError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  /** Set by the SMTP transport: whether any of the message was read for the DATA phase. */
  dataStarted?: boolean;
}

const HARD_BOUNCES = new Set(['5.1.1', '5.1.2', '5.1.3', '5.2.1']);
/** 5.7.x codes that mean the sender (us) failed authentication or policy, not the recipient. */
const SENDER_AUTH = new Set(['5.7.0', '5.7.8', '5.7.9', '5.7.23', '5.7.24', '5.7.25', '5.7.26', '5.7.27', '5.7.30']);
/** Failures that happen before a message could have been handed over. */
const BEFORE_HANDOVER = new Set(['CONN', 'EHLO', 'HELO', 'STARTTLS', 'MAIL FROM', 'RCPT TO']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EDNS', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETLS', 'EENVELOPE']);

/**
 * The RFC 3463 code right after the reply code ("550 5.1.1 …", "550-5.1.1 …"), or opening the
 * text when the reply code was stripped. An IP address later in the text ("host 5.1.1.20") is not one.
 */
export function enhancedCode(text: string | undefined): string | undefined {
  return /(?:^|\b[245]\d\d[ -])([245]\.\d{1,3}\.\d{1,3})(?![.\d])/.exec((text ?? '').trim())?.[1];
}

export function classifyError(err: unknown): Verdict {
  const e = (err ?? {}) as MailError;
  const reply = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim().slice(0, 500);
  const enhanced = enhancedCode(e.response ?? e.message);
  const v = (kind: VerdictKind, reason = reply): Verdict => ({ kind, reason, ...(enhanced ? { enhanced } : {}) });
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 530) {
    return v('sender-auth', `the relay refused our login: ${reply}`);
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    if (e.responseCode === 421) return v('throttle');
    if (e.responseCode < 500) return v('transient');
    if (enhanced === '5.2.2') return v('transient', `mailbox full, will retry: ${reply}`);
    if (enhanced && HARD_BOUNCES.has(enhanced)) return v('hard-bounce');
    if (enhanced && SENDER_AUTH.has(enhanced)) return v('sender-auth');
    return v('permanent');
  }
  if (e.dataStarted === false) return v('transient', `nothing was handed over: ${reply}`);
  if (e.dataStarted === true) return v('unknown', `the connection failed after the message data was sent: ${reply}`);
  const rootCode = /\b(E[A-Z]+)\b/.exec(e.message ?? '')?.[1] ?? '';
  if (CONNECT_ERRORS.has(e.code ?? '') || CONNECT_ERRORS.has(rootCode) || (e.command !== undefined && BEFORE_HANDOVER.has(e.command))) {
    return v('transient');
  }
  // Dropped or timed out during or after DATA: the server may have accepted the message.
  return v('unknown');
}

/** The port's reading of an SMTP or network error (`dataStarted` as the client saw it). */
export function toTransportError(err: unknown, dataStarted: boolean): TransportError {
  const e = (err ?? {}) as MailError;
  const verdict = classifyError({ ...e, message: e.message, dataStarted });
  const details = { reply: verdict.reason, handedOver: dataStarted, ...(verdict.enhanced ? { enhanced: verdict.enhanced } : {}) };
  const kind = (
    {
      transient: 'deferred',
      throttle: 'deferred',
      permanent: 'failed-recipient',
      'hard-bounce': 'failed-recipient',
      'sender-auth': 'failed-sender',
      unknown: 'in-doubt',
    } as const
  )[verdict.kind];
  return new TransportError(
    kind,
    verdict.reason,
    { ...details, ...(verdict.kind === 'throttle' ? { throttle: true } : {}), ...(verdict.kind === 'hard-bounce' ? { addressGone: true } : {}) },
    { cause: err },
  );
}

/**
 * What an SMTP or network error means for the outbox row:
 * - transient: nothing was accepted; retry later (4xx replies, 5.2.2 mailbox full, failures to connect)
 * - permanent: the server refused for good (5xx)
 * - unknown: the connection died after the message data may have been sent; it may have arrived
 */
export type Verdict = { kind: 'transient' | 'permanent' | 'unknown'; reason: string };

interface MailError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Failures that happen before a message could have been handed over. */
const BEFORE_HANDOVER = new Set(['CONN', 'EHLO', 'HELO', 'AUTH', 'AUTH PLAIN', 'AUTH LOGIN', 'STARTTLS', 'MAIL FROM', 'RCPT TO']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EDNS', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAUTH', 'ETLS', 'EENVELOPE']);

export function classifyError(err: unknown): Verdict {
  const e = (err ?? {}) as MailError;
  const reply = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim().slice(0, 500);
  if (typeof e.responseCode === 'number') {
    const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(e.response ?? '')?.[0];
    if (e.responseCode >= 400 && e.responseCode < 500) return { kind: 'transient', reason: reply };
    if (e.responseCode >= 500) {
      if (enhanced === '5.2.2') return { kind: 'transient', reason: `mailbox full, will retry: ${reply}` };
      return { kind: 'permanent', reason: reply };
    }
  }
  const codeOrSyscall = e.code ?? '';
  const rootCode = /\b(E[A-Z]+)\b/.exec(e.message ?? '')?.[1] ?? '';
  if (CONNECT_ERRORS.has(codeOrSyscall) || CONNECT_ERRORS.has(rootCode) || (e.command !== undefined && BEFORE_HANDOVER.has(e.command))) {
    return { kind: 'transient', reason: reply };
  }
  // Dropped or timed out during or after DATA: the server may have accepted the message.
  return { kind: 'unknown', reason: reply };
}

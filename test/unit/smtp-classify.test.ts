import { describe, expect, it } from 'vitest';
import { classifyError, enhancedCode } from '../../src/transport/smtp/classify.js';

/** The shape nodemailer gives an SMTP reply error. */
function reply(responseCode: number, response: string, command = 'RCPT TO') {
  return Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), { code: 'EENVELOPE', responseCode, response, command });
}

describe('classifyError', () => {
  it('treats 4xx replies as transient', () => {
    for (const [code, text] of [
      [450, '450 4.2.0 Mailbox temporarily unavailable'],
      [451, '451 4.3.0 Local error in processing'],
      [452, '452 4.3.1 Insufficient system storage'],
    ] as const) {
      expect(classifyError(reply(code, text)).kind, text).toBe('transient');
    }
  });

  it('treats 421 as throttling', () => {
    expect(classifyError(reply(421, '421 4.7.0 Try again later')).kind).toBe('throttle');
  });

  it('treats other 5xx replies as permanent', () => {
    for (const [code, text] of [
      [550, '550 Requested action not taken: mailbox unavailable'],
      [552, '552 Message size exceeds fixed maximum message size'],
      [554, '554 5.7.1 Message rejected as spam'],
    ] as const) {
      expect(classifyError(reply(code, text, 'DATA')).kind, text).toBe('permanent');
    }
  });

  it('retries 552 with enhanced code 5.2.2 (mailbox full)', () => {
    const v = classifyError(reply(552, '552 5.2.2 Mailbox full'));
    expect(v).toMatchObject({ kind: 'transient', enhanced: '5.2.2' });
    expect(v.reason).toMatch(/mailbox full/);
  });

  it('treats an unknown mailbox as a hard bounce and our own policy failures as sender-auth', () => {
    expect(classifyError(reply(550, '550 5.1.1 User unknown')).kind).toBe('hard-bounce');
    expect(classifyError(reply(550, '550 5.7.26 Unauthenticated email is not accepted (DMARC)', 'DATA')).kind).toBe('sender-auth');
    expect(classifyError(Object.assign(new Error('Invalid login: 535 5.7.8 Authentication failed'), { code: 'EAUTH', responseCode: 535 })).kind).toBe('sender-auth');
  });

  it('does not read an IP address in the reply as an enhanced status code', () => {
    // Without an enhanced code this 550 is permanent; "5.1.1.20" is the client's address, not 5.1.1.
    const v = classifyError(reply(550, '550 Client host 5.1.1.20 blocked using zen.spamhaus.org'));
    expect(v.kind).toBe('permanent');
    expect(v.enhanced).toBeUndefined();
  });

  it('treats a refused connection as transient', () => {
    const wrapped = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION', command: 'CONN' });
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNREFUSED' });
    const noCommand = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' });
    for (const e of [wrapped, raw, noCommand]) expect(classifyError(e).kind, e.message).toBe('transient');
  });

  it('treats a connection closed during DATA, without a reply, as unknown (the message may have arrived)', () => {
    const e = Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'DATA' });
    expect(classifyError(e).kind).toBe('unknown');
  });

  it('lets the transport’s dataStarted flag decide for a dropped connection', () => {
    const dropped = (dataStarted: boolean) => Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'DATA', dataStarted });
    expect(classifyError(dropped(false)).kind).toBe('transient');
    expect(classifyError(dropped(true)).kind).toBe('unknown');
  });
});

describe('enhancedCode', () => {
  it('finds the RFC 3463 code after the reply code', () => {
    expect(enhancedCode('550 5.1.1 <ada@example.com>: user unknown')).toBe('5.1.1');
    expect(enhancedCode('451 4.7.1 greylisted')).toBe('4.7.1');
    expect(enhancedCode('250 OK')).toBeUndefined();
    expect(enhancedCode(undefined)).toBeUndefined();
  });
});

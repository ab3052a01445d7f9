// A digest as nodemailer's own Mailer builds it from fields (html, text, list headers): the
// way the service built messages before its raw fast path (src/delivery/raw-message.ts). Kept
// out of src/ on purpose: it is the benchmark's baseline (case b) and the test oracle the raw
// builder is compared with (test/integration/raw-message.test.ts), so it must not share the
// service's header code. Self-contained: the caller gives the Message-ID, key and list domain.
import nodemailer from 'nodemailer';

/** Headers DKIM signs; List-Unsubscribe and List-Unsubscribe-Post must be covered (RFC 8058). */
const DKIM_HEADERS = 'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Unsubscribe-Post:Feedback-ID';

/**
 * @param {{ newsletter: { id: string; name: string; from: string; replyTo?: string }, issue: { id: number },
 *   outboxId: number, subscriber: { name: string; email: string }, rendered: { subject: string; text: string; html: string },
 *   unsubscribeUrl: string, date: Date, messageId: string, key: string, domain: string,
 *   options?: { bounceAddress?: string; dkim?: { domainName: string; keySelector: string; privateKey: string } } }} input
 * @returns {{ key: string; mail: import('nodemailer/lib/mailer/index.js').Options & { messageId: string } }}
 */
export function nodemailerDigest({ newsletter, issue, outboxId, subscriber, rendered, unsubscribeUrl, date, messageId, key, domain, options = {} }) {
  const bounce = options.bounceAddress?.replace('{id}', String(outboxId));
  return {
    key,
    mail: {
      messageId,
      date,
      from: newsletter.from,
      replyTo: newsletter.replyTo,
      to: { name: subscriber.name, address: subscriber.email },
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      textEncoding: 'quoted-printable',
      ...(bounce ? { envelope: { from: bounce, to: subscriber.email } } : {}),
      ...(options.dkim ? { dkim: { ...options.dkim, headerFieldNames: DKIM_HEADERS } } : {}),
      list: {
        id: { url: `${newsletter.id}.${domain}`, comment: newsletter.name },
        unsubscribe: { url: unsubscribeUrl, comment: '' },
      },
      headers: {
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Auto-Submitted': 'auto-generated',
        'Feedback-ID': `${issue.id}:${newsletter.id}:digest:${domain}`,
        'X-Newsletter-Issue': `${newsletter.id}/${issue.id}`,
      },
    },
  };
}

/** The bytes nodemailer would put on the wire for `mail` (CRLF). */
export async function nodemailerEml(mail) {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  try {
    return (await builder.sendMail(mail)).message;
  } finally {
    builder.close();
  }
}

// Types of nodemailer-message.mjs, for the test that uses it as its oracle.
import type Mail from 'nodemailer/lib/mailer/index.js';

export function nodemailerDigest(input: {
  newsletter: { id: string; name: string; from: string; replyTo?: string };
  issue: { id: number };
  outboxId: number;
  subscriber: { name: string; email: string };
  rendered: { subject: string; text: string; html: string };
  unsubscribeUrl: string;
  date: Date;
  messageId: string;
  key: string;
  domain: string;
  options?: { bounceAddress?: string; dkim?: { domainName: string; keySelector: string; privateKey: string } };
}): { key: string; mail: Mail.Options & { messageId: string } };

export function nodemailerEml(mail: Mail.Options): Promise<Buffer>;

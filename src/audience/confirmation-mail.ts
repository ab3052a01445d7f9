import type { NewsletterConfig } from '../config/schema.js';
import type { Messages } from '../render/messages.js';
import { escapeHtml } from '../domain/html.js';
import { isRtl } from '../domain/locale.js';
import type { MailFields } from '../delivery/mime.js';
import { listDomain } from '../delivery/message.js';

/**
 * The double opt-in email: in the reader's language, one link, no advertising, no list headers
 * (the reader is not on the list yet). Pure.
 */
export function confirmationMail(input: { newsletter: NewsletterConfig; email: string; name: string; confirmUrl: string; t: Messages['t']; locale: string; id: string }): {
  key: string;
  fields: MailFields;
} {
  const { newsletter, t, confirmUrl, locale } = input;
  const values = { newsletter: newsletter.name };
  const body = t('confirm_body', values);
  const button = t('confirm_button', values);
  const dir = isRtl(locale) ? 'rtl' : 'ltr';
  const html = `<!doctype html><html lang="${escapeHtml(locale)}" dir="${dir}"><body style="font-family:Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2933;max-width:560px;margin:0 auto;padding:24px">
<p>${escapeHtml(body)}</p>
<p><a href="${escapeHtml(confirmUrl)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
<p style="font-size:13px;color:#52606d">${escapeHtml(newsletter.postalAddress)}</p>
</body></html>`;
  const text = `${body}\n\n${button}: ${confirmUrl}\n\n${newsletter.postalAddress}\n`;
  return {
    key: `${newsletter.id}/confirmations/${input.id}`,
    fields: {
      messageId: `<confirm.${input.id}@${listDomain(newsletter)}>`,
      from: newsletter.from,
      to: { name: input.name, address: input.email },
      subject: t('confirm_subject', values),
      text,
      html,
      headers: { 'Auto-Submitted': 'auto-generated' },
    },
  };
}

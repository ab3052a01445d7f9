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
  const subject = t('confirm_subject', values);
  const dir = isRtl(locale) ? 'rtl' : 'ltr';
  // A whole document (head, title, charset) that reads in light and dark mode: clients without
  // prefers-color-scheme keep the light colours, which are the fallback. Text at 16 px, the
  // address line at 14; every colour pair at 4.5:1 or more in both modes.
  const html = `<!DOCTYPE html>
<html lang="${escapeHtml(locale)}" dir="${dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(subject)}</title>
<style>
  :root { color-scheme: light dark; }
  @media (prefers-color-scheme: dark) {
    .page { background-color: #111827 !important; color: #f3f4f6 !important; }
    .muted { color: #cbd2d9 !important; }
  }
</style>
</head>
<body style="margin:0;padding:0;background-color:#ffffff">
<div class="page" role="article" aria-label="${escapeHtml(subject)}" style="font-family:Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2933;background-color:#ffffff;padding:24px">
<div style="max-width:560px;margin:0 auto">
<h1 style="font-size:20px;line-height:1.3;margin:0 0 16px">${escapeHtml(subject)}</h1>
<p>${escapeHtml(body)}</p>
<p><a href="${escapeHtml(confirmUrl)}" style="display:inline-block;background-color:#1d4ed8;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
<p class="muted" style="font-size:14px;color:#52606d">${escapeHtml(newsletter.postalAddress)}</p>
</div>
</div>
</body>
</html>`;
  const text = `${body}\n\n${button}: ${confirmUrl}\n\n${newsletter.postalAddress}\n`;
  return {
    key: `${newsletter.id}/confirmations/${input.id}`,
    fields: {
      messageId: `<confirm.${input.id}@${listDomain(newsletter)}>`,
      from: newsletter.from,
      to: { name: input.name, address: input.email },
      subject,
      text,
      html,
      headers: { 'Auto-Submitted': 'auto-generated' },
    },
  };
}

import { escapeHtml } from '../domain/html.js';

/**
 * A small, self-contained HTML page for the service's own screens (unsubscribe, archive), in the
 * reader's language and direction (page-language.ts). Every colour pair reads at 4.5:1 or more
 * in light and dark mode; margins are logical, so an Arabic page mirrors.
 */
export function page(title: string, body: string, lang = 'en', dir: 'ltr' | 'rtl' = 'ltr'): string {
  return `<!DOCTYPE html>
<html lang="${escapeHtml(lang)}" dir="${dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
  :root { color-scheme: light dark; }
  body { font: 17px/1.55 -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 40rem; margin-block: 3rem; margin-inline: auto; padding-inline: 1.25rem; color: #1f2933; background: #ffffff; }
  a { color: #1d4ed8; }
  input, select { font: inherit; }
  h1 { font-size: 1.6rem; line-height: 1.25; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: 6px; border: 0; background: #1d4ed8; color: #fff; cursor: pointer; }
  .muted { color: #52606d; font-size: .9rem; }
  @media (prefers-color-scheme: dark) { body { background: #111827; color: #f3f4f6; } .muted { color: #9aa5b1; } a { color: #93c5fd; } }
</style></head>
<body>
<main>
${body}
</main>
</body></html>`;
}

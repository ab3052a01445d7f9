import { escapeHtml } from '../domain/html.js';

/** A small, self-contained HTML page for the service's own screens (unsubscribe, archive). */
export function page(title: string, body: string, lang = 'en', dir: 'ltr' | 'rtl' = 'ltr'): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}" dir="${dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
  :root { color-scheme: light dark; }
  body { font: 17px/1.55 -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1.25rem; color: #1f2933; }
  h1 { font-size: 1.6rem; line-height: 1.25; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: 6px; border: 0; background: #1d4ed8; color: #fff; cursor: pointer; }
  .muted { color: #52606d; font-size: .9rem; }
  @media (prefers-color-scheme: dark) { body { background: #111827; color: #f3f4f6; } .muted { color: #9aa5b1; } a { color: #93c5fd; } }
</style></head>
<body>
${body}
</body></html>`;
}

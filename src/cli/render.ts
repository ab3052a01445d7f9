import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { findNewsletter } from '../config/load.js';
import { formatProblem } from '../domain/errors.js';
import { renderIssue } from '../service/render-issue.js';
import { openApp, parseAt, parseTimeZone, withAt, withConfig, type CommonOptions } from './options.js';

/** Gmail shows "[Message clipped]" past 102 KB of HTML, hiding the rest (footer and unsubscribe link included). */
export const GMAIL_CLIP_BYTES = 102 * 1024;

export function htmlSize(html: string): { bytes: number; text: string; clipped: boolean } {
  const bytes = Buffer.byteLength(html, 'utf8');
  return { bytes, text: `${(bytes / 1024).toFixed(1)} KB of Gmail's 102 KB`, clipped: bytes > GMAIL_CLIP_BYTES };
}

export function renderCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('render')
    .description('Write the issue of the current (or --at) slot as .html, .txt and .eml per locale, for checking by hand or by tools. Sends nothing.')
    .requiredOption('-o, --out <dir>', 'folder to write into (created if missing)')
    .option('-n, --newsletter <id>', 'only this newsletter (default: all)')
    .option('-l, --locale <tag>', 'only this locale (negotiated: fr-CA gives fr)')
    .option('-s, --subscriber <email>', 'as this reader gets it: their name, language, time zone and links (default: a sample reader in every locale)')
    .option('-z, --timezone <zone>', "dates as a reader in this IANA time zone sees them, e.g. America/New_York (default: the reader's, else the newsletter's)", parseTimeZone);
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { out: string; newsletter?: string; locale?: string; subscriber?: string; timezone?: string; at?: string }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    try {
      const outDir = resolve(opts.out);
      await mkdir(outDir, { recursive: true });
      for (const n of findNewsletter(app.config, opts.newsletter)) {
        const r = await renderIssue(app, n, { at, locale: opts.locale, subscriber: opts.subscriber, timezone: opts.timezone });
        for (const l of r.locales) {
          const base = join(outDir, `${n.id}.${l.locale}`);
          await writeFile(`${base}.html`, l.html);
          await writeFile(`${base}.txt`, l.text);
          await writeFile(`${base}.eml`, l.eml);
          const size = htmlSize(l.html);
          process.stderr.write(`${n.id} [${l.locale}] "${l.subject}" -> ${base}.{html,txt,eml} (HTML ${size.text})\n`);
          if (size.clipped)
            process.stderr.write(
              `  warning: Gmail clips an HTML part above 102 KB: readers see "[Message clipped]" and lose the footer with the unsubscribe link; lower maxArticles or shorten the template\n`,
            );
        }
        const what = r.draft ? 'a draft (no issue is stored for this slot yet)' : `stored issue #${r.issue.id}`;
        process.stderr.write(`${n.id}: slot ${r.slot}, ${r.issue.articles.length} articles, ${what}\n`);
        for (const p of r.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
}

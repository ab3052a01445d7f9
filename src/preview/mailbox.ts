import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { simpleParser } from 'mailparser';

export interface MailboxEntry {
  file: string; // relative to the mail folder
  subject: string;
  to: string;
  date: string;
}

/** The capture transport's .eml files, newest first (at most `limit`). */
export async function listMailbox(dir: string, limit = 200): Promise<MailboxEntry[]> {
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(join(dir, f))).mtimeMs })));
  withTimes.sort((a, b) => b.t - a.t || b.f.localeCompare(a.f));
  return Promise.all(
    withTimes.slice(0, limit).map(async ({ f }) => {
      const m = await simpleParser(await readFile(join(dir, f)), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      return { file: f, subject: m.subject ?? '', to: (Array.isArray(m.to) ? m.to[0]?.text : m.to?.text) ?? '', date: m.date?.toISOString() ?? '' };
    }),
  );
}

/** One captured message as sent; refuses paths outside the mail folder. */
export async function readMailboxMessage(dir: string, file: string) {
  const root = resolve(dir);
  const path = resolve(root, file);
  if (!path.startsWith(root + sep) || relative(root, path).startsWith('..') || !path.endsWith('.eml')) return undefined;
  try {
    const raw = await readFile(path);
    const m = await simpleParser(raw);
    const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
    return { subject: m.subject ?? '', html: typeof m.html === 'string' ? m.html : '', text: m.text ?? '', head };
  } catch {
    return undefined;
  }
}

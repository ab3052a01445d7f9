import { access, constants, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ErrorCodes, NewsletterError, formatProblem } from '../domain/errors.js';
import { exportAudience, forgetPerson, importAudience, pickNewsletter, showPerson } from '../service/audience-admin.js';
import { openApp, withConfig, type CommonOptions } from './options.js';

/** `newsletter subscribers …`: what the store holds about people. */
export function subscribersCommand(setExit: (code: number) => void): Command {
  const group = new Command('subscribers').description('Manage the audience: import and export lists, show or erase what is held about a person.');

  const importCmd = new Command('import')
    .description(
      'Import a CSV list (email,name,locale,timezone,status,consented_at,source,topics; extra columns become attributes for templates). ' +
        'Idempotent. It can add consent but never undoes a later unsubscribe, bounce or erasure; rows without consented_at are reported and not mailed.',
    )
    .argument('<file>', 'the CSV file')
    .option('-n, --newsletter <id>', 'the newsletter the list is for (needed when several are configured)');
  withConfig(importCmd);
  importCmd.action(async (file: string, opts: CommonOptions & { newsletter?: string }) => {
    const app = await openApp(opts);
    try {
      const newsletterId = pickNewsletter(app, opts.newsletter);
      const path = resolve(file);
      try {
        await access(path, constants.R_OK);
        if (!(await stat(path)).isFile()) throw new Error('not a file');
      } catch (e) {
        throw new NewsletterError(ErrorCodes.USAGE, `cannot read ${path}: ${(e as Error).message}`);
      }
      const applied = await importAudience(app, newsletterId, path);
      process.stderr.write(`${newsletterId}: ${applied.rows} readers in ${path}; ${applied.recorded} consent change(s) recorded\n`);
      for (const p of applied.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
      setExit(0);
    } finally {
      await app.close();
    }
  });

  const exportCmd = new Command('export')
    .description(
      'Write the current state of a newsletter\'s audience (after syncing its list file) as CSV in the import\'s columns; status is subscribed, pending, unsubscribed, bounced or complained. ' +
        'A cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is written with a leading \' (see README).',
    )
    .option('-n, --newsletter <id>', 'the newsletter (needed when several are configured)')
    .option('-o, --out <file>', 'write to this file instead of standard output');
  withConfig(exportCmd);
  exportCmd.action(async (opts: CommonOptions & { newsletter?: string; out?: string }) => {
    const app = await openApp(opts);
    try {
      const { csv, problems } = await exportAudience(app, pickNewsletter(app, opts.newsletter));
      for (const p of problems) process.stderr.write(`  ${formatProblem(p)}\n`);
      if (opts.out) await writeFile(resolve(opts.out), csv);
      else process.stdout.write(csv);
      setExit(0);
    } finally {
      await app.close();
    }
  });

  const forget = new Command('forget')
    .description(
      'Erase a person (GDPR): their profile, consent history and subscriptions are deleted; only a hash of the address is kept, so no later import or sign-up can add it again. Delivery counts stay, without personal data.',
    )
    .argument('<email>', 'the address');
  withConfig(forget);
  forget.action(async (email: string, opts: CommonOptions) => {
    const app = await openApp(opts);
    try {
      const { address, found } = await forgetPerson(app, email);
      process.stderr.write(found ? `${address}: erased; a hash is kept so the address cannot be imported again\n` : `${address}: not in the store; its hash is now kept so it cannot be imported\n`);
      setExit(0);
    } finally {
      await app.close();
    }
  });

  const show = new Command('show')
    .description('Print everything held about one address: profile, consent events, current state per newsletter, suppression, and every delivery (the per-recipient log).')
    .argument('<email>', 'the address (compared case-insensitively)')
    .option('--json', 'print JSON on standard output');
  withConfig(show);
  show.action(async (email: string, opts: CommonOptions & { json?: boolean }) => {
    const app = await openApp(opts);
    try {
      const record = await showPerson(app, email);
      const sub = record.subscriber;
      if (opts.json) {
        process.stdout.write(JSON.stringify(record, null, 2) + '\n');
      } else {
        const out = [
          `${sub.email}  (id ${sub.id})`,
          `  name: ${sub.name || '—'} · locale: ${sub.locale || '(newsletter default)'} · time zone: ${sub.timezone || '(newsletter default)'} · topics: ${sub.topics.join(', ') || '—'}`,
          ...(record.suppressed ? [`  SUPPRESSED since ${record.suppressed.at}: ${record.suppressed.reason}`] : []),
          '  subscriptions:',
          ...record.subscriptions.map((x) => `    ${x.newsletterId}: ${x.state} since ${x.stateAt} (${x.source})`),
          '  consent events:',
          ...record.consentEvents.map((e) => `    ${e.at}  ${e.newsletterId}  ${e.kind}  source=${e.source}${e.ip ? ` ip=${e.ip}` : ''}`),
          '  deliveries:',
          ...(record.deliveries.length
            ? record.deliveries.map((d) => `    ${d.newsletterId} issue #${d.issueId} (${d.slot}): ${d.state}, ${d.attempts} attempt(s), ${d.sentAt ?? d.updatedAt}${d.messageId ? ` ${d.messageId}` : ''}${d.lastResponse ?? d.lastError ? ` — ${d.lastResponse ?? d.lastError}` : ''}`)
            : ['    none']),
        ];
        process.stdout.write(out.join('\n') + '\n');
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
  return group.addCommand(importCmd).addCommand(exportCmd).addCommand(show).addCommand(forget);
}

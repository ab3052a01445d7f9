import { access, constants, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { normaliseEmail } from '../audience/email.js';
import { importListFile } from '../audience/sync.js';
import { toListCsv } from '../audience/export.js';
import { suppressionHash } from '../domain/erasure.js';
import { ErrorCodes, NewsletterError, formatProblem } from '../domain/errors.js';
import { progressLog } from '../domain/logger.js';
import type { App } from '../app.js';
import { openApp, withConfig, type CommonOptions } from './options.js';

function pickNewsletter(app: App, id: string | undefined): string {
  if (id) {
    if (!app.config.newsletters.some((n) => n.id === id)) throw new NewsletterError(ErrorCodes.USAGE, `no newsletter "${id}" in ${app.config.file}`);
    return id;
  }
  if (app.config.newsletters.length === 1) return app.config.newsletters[0]!.id;
  throw new NewsletterError(ErrorCodes.USAGE, `several newsletters are configured; choose one with --newsletter (${app.config.newsletters.map((n) => n.id).join(', ')})`);
}

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
      const applied = await importListFile(app.store, newsletterId, path, path, app.clock.now().toISOString(), {
        onProgress: progressLog(app.logger, 'importing the list', { newsletter: newsletterId, file: path }),
      });
      process.stderr.write(`${newsletterId}: ${applied.rows} readers in ${path}; ${applied.recorded} consent change(s) recorded\n`);
      for (const p of applied.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
      setExit(0);
    } finally {
      await app.close();
    }
  });

  const exportCmd = new Command('export')
    .description('Write the current state of a newsletter\'s audience as CSV in the import\'s columns; status is subscribed, pending, unsubscribed, bounced or complained.')
    .option('-n, --newsletter <id>', 'the newsletter (needed when several are configured)')
    .option('-o, --out <file>', 'write to this file instead of standard output');
  withConfig(exportCmd);
  exportCmd.action(async (opts: CommonOptions & { newsletter?: string; out?: string }) => {
    const app = await openApp(opts);
    try {
      const csv = toListCsv(await app.store.exportRows(pickNewsletter(app, opts.newsletter)));
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
      const address = normaliseEmail(email);
      const sub = await app.store.findSubscriberByEmail(address);
      const now = app.clock.now().toISOString();
      await app.store.erase(sub?.id, suppressionHash(address), now);
      process.stderr.write(sub ? `${address}: erased; a hash is kept so the address cannot be imported again\n` : `${address}: not in the store; its hash is now kept so it cannot be imported\n`);
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
      const address = normaliseEmail(email);
      const sub = await app.store.findSubscriberByEmail(address);
      if (!sub) throw new NewsletterError(ErrorCodes.USAGE, `no subscriber ${address} in this store`);
      const record = {
        subscriber: sub,
        suppressed: (await app.store.suppression(sub.id)) ?? null,
        subscriptions: await app.store.subscriptionsOf(sub.id),
        consentEvents: await app.store.consentEvents(sub.id),
        deliveries: await app.store.deliveriesOf(sub.id),
      };
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

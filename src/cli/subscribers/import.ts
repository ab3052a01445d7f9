import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ErrorCodes, NewsletterError, formatProblem } from '../../domain/errors.js';
import { importAudience, pickNewsletter } from '../../service/audience-admin.js';
import { openApp, withConfig, type CommonOptions } from '../options.js';

/** `newsletter subscribers import` */
export function subscribersImportCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('import')
    .description(
      'Import a CSV list (email,name,locale,timezone,status,consented_at,source,topics; extra columns become attributes for templates). ' +
        'Idempotent. It can add consent but never undoes a later unsubscribe, bounce or erasure; rows without consented_at are reported and not mailed.',
    )
    .argument('<file>', 'the CSV file')
    .option('-n, --newsletter <id>', 'the newsletter the list is for (needed when several are configured)');
  withConfig(cmd);
  return cmd.action(async (file: string, opts: CommonOptions & { newsletter?: string }) => {
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
}

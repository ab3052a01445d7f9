import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { formatProblem } from '../../domain/errors.js';
import { exportAudience, pickNewsletter } from '../../service/audience-admin.js';
import { openApp, withConfig, type CommonOptions } from '../options.js';

/** `newsletter subscribers export` */
export function subscribersExportCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('export')
    .description(
      'Write the current state of a newsletter\'s audience (after syncing its list file) as CSV in the import\'s columns; status is subscribed, pending, unsubscribed, bounced or complained. ' +
        'A cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is written with a leading \' (see README).',
    )
    .option('-n, --newsletter <id>', 'the newsletter (needed when several are configured)')
    .option('-o, --out <file>', 'write to this file instead of standard output');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { newsletter?: string; out?: string }) => {
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
}

import { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { importReportFiles } from '../service/bounce-intake.js';
import { openApp, withConfig, type CommonOptions } from './options.js';
import { progressReporter } from './progress.js';

/** Files to read: each FILE as it is; a folder's files, a maildir's `new/` and `cur/` included (one level down). */
async function expand(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(p); // a missing file is reported by the import, with its name
      continue;
    }
    for (const sub of ['', 'new', 'cur']) {
      const dir = join(p, sub);
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) if (e.isFile() && !e.name.startsWith('.')) files.push(join(dir, e.name));
    }
  }
  return files;
}

/** `newsletter bounces …` */
export function bouncesCommand(setExit: (code: number) => void): Command {
  const importCmd = new Command('import')
    .description(
      'Take bounce, complaint and unsubscribe mails from files (.eml, or a maildir folder): each is matched to the message it reports on and recorded; ' +
        'a proven hard bounce or complaint suppresses the address. The same mail twice changes nothing. Exits 0 when every file was read, 2 when one could not be.',
    )
    .argument('<file...>', '.eml files or folders of them (a maildir: its new/ and cur/)')
    .option('--json', 'print the summary as JSON on standard output');
  withConfig(importCmd);
  importCmd.action(async (paths: string[], opts: CommonOptions & { json?: boolean }) => {
    const app = await openApp(opts);
    try {
      const files = await expand(paths);
      const progress = progressReporter('bounces', app.logger);
      const summary = await importReportFiles(app, files, progress.update).finally(progress.stop);
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      const effects = Object.entries(summary.effects).map(([what, n]) => `${n} ${what}`);
      process.stderr.write(
        `${summary.files} file(s) read, ${summary.reports} report(s): ${summary.duplicates} seen before, ${summary.unmatched} matched nothing of ours (listed by \`newsletter report --unmatched\`)` +
          `${effects.length ? `; changed: ${effects.join('; ')}` : '; nothing changed'}\n`,
      );
      for (const p of summary.problems) process.stderr.write(`  ${p.file}: ${p.message}\n`);
      setExit(summary.problems.length > 0 ? 2 : 0);
    } finally {
      await app.close();
    }
  });
  return new Command('bounces').description('Reports that come back after delivery: bounces, complaints, mailto unsubscribes.').addCommand(importCmd);
}

import { Command } from 'commander';
import { nextIssueArticles } from '../service/next-issue.js';
import { openApp, parseAt, withAt, withConfig, type CommonOptions } from './options.js';

const REASONS: Record<string, string> = {
  'outside-window': 'outside the window (published before the previous issue)',
  'after-slot': 'published after the slot',
  'already-sent': 'already sent in this newsletter',
  'wrong-topic': "not in the newsletter's topics",
  'over-limit': 'over maxArticles',
};

export function articlesCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('articles')
    .description(
      'List what the next issue would take and what it leaves out, each with the reason (outside window, after the slot, already sent, wrong topic, over the limit, invalid). Writes nothing.',
    )
    .option('-n, --newsletter <id>', 'only this newsletter (default: all)')
    .option('--json', 'print JSON on standard output');
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { newsletter?: string; at?: string; json?: boolean }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    try {
      const out = await nextIssueArticles(app, at ?? app.clock.now(), opts.newsletter);
      if (opts.json) {
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else {
        for (const r of out) {
          const lines = [`${r.newsletter}: slot ${r.slot}, window (${r.window.start ?? 'the beginning'}, ${r.window.end}]`, `  takes ${r.taken.length}:`];
          for (const a of r.taken) lines.push(`    ${a.publishedAt.slice(0, 10)}  ${a.id}  ${a.title}${a.translations.length ? `  [+${a.translations.join(', ')}]` : ''}`);
          if (r.leftOut.length) lines.push(`  leaves out ${r.leftOut.length}:`);
          for (const l of r.leftOut) lines.push(`    ${l.id}: ${REASONS[l.reason] ?? l.reason}  (${l.origin})`);
          if (r.invalid.length) lines.push(`  invalid ${r.invalid.length}:`);
          for (const p of r.invalid) lines.push(`    ${p.place}: ${p.message}`);
          process.stdout.write(lines.join('\n') + '\n');
        }
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
}

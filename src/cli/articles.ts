import { Command } from 'commander';
import { findNewsletter } from '../config/load.js';
import { latestSlotAtOrBefore, nextSlotAfter } from '../compose/slots.js';
import { composeIssue } from '../service/compose-issue.js';
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
      const now = at ?? app.clock.now();
      const out = [];
      for (const n of findNewsletter(app.config, opts.newsletter)) {
        // The slot `send` would make now; when that issue exists already, the one after it.
        let slot = latestSlotAtOrBefore(n.schedule, n.timezone, now);
        if (await app.store.findIssue(n.id, slot.toISOString())) slot = nextSlotAfter(n.schedule, n.timezone, now);
        const c = await composeIssue(app.store, n, app.config, slot, now);
        out.push({
          newsletter: n.id,
          slot: slot.toISOString(),
          window: c.draft.window,
          taken: c.draft.articles.map((a) => ({ id: a.id, publishedAt: a.publishedAt, title: a.title, topics: a.topics, translations: Object.keys(a.translations), origin: a.origin })),
          leftOut: c.selection.leftOut,
          invalid: c.problems,
        });
      }
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

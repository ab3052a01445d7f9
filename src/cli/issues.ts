import { Command, InvalidArgumentError } from 'commander';
import { findNewsletter } from '../config/load.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { DraftEdit } from '../domain/review.js';
import { approveIssue, editIssue, listIssues, openDueDrafts } from '../service/review.js';
import { exitCodeFor, sendNewsletter } from '../service/send-issue.js';
import { formatSummary } from './summary.js';
import { openApp, parseAt, parseIssueId, withAt, withConfig, type CommonOptions } from './options.js';

/** Who an edit from the shell is recorded as: --as, else the login name. */
function shellEditor(as: string | undefined): string {
  const name = (as ?? process.env.USER ?? process.env.LOGNAME ?? 'shell').trim();
  return `${name.slice(0, 64) || 'shell'} (cli)`;
}

function parseLimit(v: string): number {
  if (!/^\d{1,4}$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`"${v}" is not a number of issues such as 20`);
  return Number(v);
}

/** `newsletter issues`: drafts, approved and sent issues with their state. */
export function issuesCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('issues')
    .description("List each newsletter's latest issues, drafts under review included, with their state (draft, approved, sending, sent, paused), articles, editor's notes and edits.")
    .option('-n, --newsletter <id>', 'only this newsletter (default: all)')
    .option('--limit <n>', 'issues per newsletter', parseLimit, 20)
    .option('--open-drafts', 'first open the drafts that are due (review.opensBefore ahead of their slot), as `start` does; for cron set-ups')
    .option('--json', 'print them as JSON on standard output');
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { newsletter?: string; limit: number; json?: boolean; openDrafts?: boolean; at?: string }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    try {
      findNewsletter(app.config, opts.newsletter);
      if (opts.openDrafts) {
        for (const r of await openDueDrafts(app, at ?? app.clock.now())) {
          if (r.note) process.stderr.write(`${r.newsletter}: ${r.note}\n`);
          else if (r.issue) process.stderr.write(`${r.newsletter}: draft #${r.issue.id} open for review\n`);
        }
      }
      const list = await listIssues(app, opts.newsletter, opts.limit);
      if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else {
        for (const i of list) {
          process.stdout.write(`#${i.id}\t${i.newsletter}\t${i.state}\t${i.when}\t${i.articles.length} articles${i.approvedBy ? `\tapproved by ${i.approvedBy}` : ''}\n`);
        }
        if (list.length === 0) process.stderr.write('no issues yet\n');
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
}

/** `newsletter approve`: freezes a draft; one whose slot has passed is sent at once. */
export function approveCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('approve')
    .description(
      'Approve a draft under review: it is frozen and sent at its slot. When its slot has already passed, it is sent now (as `send` would), unless --no-send.\n' +
        'Exits 0 when approved (and sent), 1 while readers are failed, deferred or in doubt, 2 when it cannot be approved.',
    )
    .requiredOption('-n, --newsletter <id>', 'the newsletter')
    .option('--issue <n>', "the issue number (default: the newsletter's latest draft)", parseIssueId)
    .option('--as <name>', 'the name the approval is recorded under (default: your login name)')
    .option('--no-send', 'only approve; leave sending to `start` or the next `send`')
    .option('--json', 'print the send summary as JSON on standard output');
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { newsletter: string; issue?: number; as?: string; send: boolean; json?: boolean; at?: string }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    try {
      const editor = shellEditor(opts.as);
      const { issue, newsletter } = await approveIssue(app, editor, opts.newsletter, opts.issue);
      const due = new Date(issue.slot).getTime() <= (at ?? app.clock.now()).getTime();
      process.stderr.write(
        `${newsletter.id}: issue #${issue.id} approved by ${editor}; ${due ? (opts.send ? 'its slot has passed: sending it now' : 'its slot has passed: `start` or the next `send` sends it') : `it goes at its slot`}\n`,
      );
      if (due && opts.send) {
        const s = await sendNewsletter(app, newsletter, { slot: new Date(issue.slot), ...(at ? { at } : {}) });
        process.stderr.write(formatSummary(s));
        if (opts.json) process.stdout.write(JSON.stringify([s], null, 2) + '\n');
        setExit(exitCodeFor([s]));
      } else setExit(0);
    } finally {
      await app.close();
    }
  });
}

/** `newsletter issue edit`: exclude / include / pin / move, note and subject from the shell. */
export function issueCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('issue').description('Work on one issue under review (see `newsletter issues`).');
  const edit = new Command('edit')
    .description(
      "Edit a draft: take an article out or put it back, pin one as the lead, move one, set the editor's note (Markdown) or the subject for a locale. Each change is recorded with who and when.\n" +
        'Example: newsletter issue edit 12 --exclude old-story --pin big-news --note fr="Bonne lecture !" --subject en="Our big week"',
    )
    .argument('<issue>', 'the issue number', parseIssueId)
    .option('--exclude <article>', 'take this article (its id) out of the issue', collect, [])
    .option('--include <article>', 'put an excluded article back', collect, [])
    .option('--pin <article>', 'make this article the lead')
    .option('--up <article>', 'move this article one place up', collect, [])
    .option('--down <article>', 'move this article one place down', collect, [])
    .option('--note <locale=markdown>', "the editor's note for a locale (empty text removes it); repeat per locale", collectLocaleText('--note'), [])
    .option('--subject <locale=text>', 'the subject for a locale (empty text removes it); repeat per locale', collectLocaleText('--subject'), [])
    .option('--as <name>', 'the name the edit is recorded under (default: your login name)');
  withConfig(edit);
  edit.action(
    async (issueId: number, opts: CommonOptions & { exclude: string[]; include: string[]; pin?: string; up: string[]; down: string[]; note: LocaleText[]; subject: LocaleText[]; as?: string }) => {
      const edits: DraftEdit[] = [
        ...opts.exclude.map((article): DraftEdit => ({ kind: 'exclude', article })),
        ...opts.include.map((article): DraftEdit => ({ kind: 'include', article })),
        ...(opts.pin ? [{ kind: 'pin', article: opts.pin } as DraftEdit] : []),
        ...opts.up.map((article): DraftEdit => ({ kind: 'move', article, to: 'up' })),
        ...opts.down.map((article): DraftEdit => ({ kind: 'move', article, to: 'down' })),
        ...opts.note.map((v): DraftEdit => ({ kind: 'note', ...v })),
        ...opts.subject.map((v): DraftEdit => ({ kind: 'subject', ...v })),
      ];
      if (edits.length === 0) throw new NewsletterError(ErrorCodes.USAGE, 'nothing to change: give --exclude, --include, --pin, --up, --down, --note or --subject');
      const app = await openApp(opts);
      try {
        const editor = shellEditor(opts.as);
        for (const e of edits) await editIssue(app, issueId, e, editor);
        process.stderr.write(`issue #${issueId}: ${edits.length} change${edits.length === 1 ? '' : 's'} recorded as ${editor}\n`);
        setExit(0);
      } finally {
        await app.close();
      }
    },
  );
  return cmd.addCommand(edit);
}

function collect(v: string, all: string[]): string[] {
  return [...all, v];
}

interface LocaleText {
  locale: string;
  text: string;
}

function collectLocaleText(flag: string): (v: string, all: LocaleText[]) => LocaleText[] {
  return (v, all) => {
    const eq = v.indexOf('=');
    if (eq < 1) throw new InvalidArgumentError(`${flag} takes LOCALE=TEXT, e.g. ${flag} fr="Bonne lecture"`);
    return [...all, { locale: v.slice(0, eq).trim(), text: v.slice(eq + 1) }];
  };
}

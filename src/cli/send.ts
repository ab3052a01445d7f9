import { Command } from 'commander';
import { openDueDrafts } from '../service/review.js';
import { findNewsletter } from '../config/load.js';
import { exitCodeFor, sendNewsletter, type SendSummary } from '../service/send-issue.js';
import { formatSummary } from './summary.js';
import { openApp, parseAt, parseIssueId, withAt, withConfig, type CommonOptions } from './options.js';
import { onShutdownSignal } from './signals.js';
import { STOP_GRACE_MS } from '../delivery/deliver.js';
import { progressReporter } from './progress.js';

export function sendCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('send')
    .description(
      'Compose the due issue (or resume an unfinished one) and deliver it.\n' +
        'Exits 0 when every reader of the issue is sent or skipped, 1 while any is failed, deferred or in doubt, 2 when it cannot run.',
    )
    .option('-n, --newsletter <id>', 'only this newsletter (default: all)')
    .option('--dry-run', 'show what would be sent; write nothing and send nothing')
    .option('--json', 'print the summary as JSON on standard output')
    .option('--no-deliver', 'make the issue and queue its readers only; `newsletter worker` processes deliver it')
    .option('--issue <n>', 'this issue (see `newsletter issues`): resume it, or send an approved one whose slot is older than catchUpGrace', parseIssueId)
    .option('--despite-complaints', "send a new issue although the previous one's complaint rate is above bounces.complaints.pauseRate (0.3 % by default)");
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { newsletter?: string; dryRun?: boolean; json?: boolean; at?: string; deliver: boolean; despiteComplaints?: boolean; issue?: number }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    const controller = new AbortController();
    const release = onShutdownSignal(() => {
      app.logger.warn(`stopping: finishing the messages in flight (at most ${STOP_GRACE_MS / 1000}s), then exiting`);
      controller.abort();
    });
    try {
      const summaries: SendSummary[] = [];
      if (opts.issue !== undefined && !opts.newsletter) {
        const issue = await app.store.getIssue(opts.issue);
        if (issue) opts.newsletter = issue.newsletterId;
      }
      for (const n of findNewsletter(app.config, opts.newsletter)) {
        const progress = progressReporter(n.id, app.logger);
        const s = await sendNewsletter(app, n, {
          at,
          dryRun: opts.dryRun,
          noDeliver: !opts.deliver,
          despiteComplaints: opts.despiteComplaints,
          ...(opts.issue !== undefined ? { issueId: opts.issue } : {}),
          signal: controller.signal,
          onProgress: progress.update,
        }).finally(progress.stop);
        summaries.push(s);
        process.stderr.write(formatSummary(s));
      }
      // Editors' review: a run of `send` from cron also opens the drafts that are due.
      if (!opts.dryRun && opts.issue === undefined) {
        for (const r of await openDueDrafts(app, at ?? app.clock.now())) {
          if (r.issue) process.stderr.write(`${r.newsletter}: draft #${r.issue.id} for ${r.issue.slot} open for review\n`);
        }
      }
      if (opts.json) process.stdout.write(JSON.stringify(summaries, null, 2) + '\n');
      // A stop the operator asked for is a clean end (README: exit 0); the summary says which
      // readers are left, and which are in doubt because the relay had not answered by then.
      setExit(opts.dryRun || controller.signal.aborted ? 0 : exitCodeFor(summaries));
    } finally {
      release();
      await app.close();
    }
  });
}

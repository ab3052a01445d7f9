import { Command } from 'commander';
import { exitCodeFor, sendNewsletter } from '../service/send-issue.js';
import { requeueIssue } from '../service/retry-issue.js';
import { formatSummary } from './summary.js';
import { openApp, parseIssueId, withConfig, type CommonOptions } from './options.js';
import { onShutdownSignal } from './signals.js';

export function retryCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('retry')
    .description(
      'Put chosen readers of an issue back in the queue, lift a pause, and deliver now. Deferred readers are always included; ' +
        'failed and in-doubt (unknown) ones only when asked. A sent reader is never sent again. In-doubt readers get the same Message-ID, so receivers can drop a duplicate.',
    )
    .requiredOption('-i, --issue <n>', 'the issue (see `newsletter report`)', parseIssueId)
    .option('--failed', 'also readers whose delivery failed permanently (e.g. after fixing a relay problem)')
    .option('--unknown', 'also readers in doubt: their message may already have arrived')
    .option('--no-send', 're-queue only; the next `send` or the running service delivers them');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { issue: number; failed?: boolean; unknown?: boolean; send: boolean }) => {
    const app = await openApp(opts);
    const controller = new AbortController();
    const release = onShutdownSignal(() => controller.abort());
    try {
      const { issue, newsletter, states, requeued, resumed } = await requeueIssue(app, opts.issue, opts);
      process.stderr.write(`issue #${issue.id}: ${requeued} reader(s) re-queued (${states.join(', ')})${resumed ? '; pause lifted' : ''}\n`);
      if (!opts.send) return setExit(0);
      const summary = await sendNewsletter(app, newsletter, { slot: new Date(issue.slot), signal: controller.signal });
      process.stderr.write(formatSummary(summary));
      setExit(controller.signal.aborted ? 0 : exitCodeFor([summary]));
    } finally {
      release();
      await app.close();
    }
  });
}

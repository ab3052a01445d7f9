import { Command } from 'commander';
import { reportIssues, formatReport, formatEvent, unmatchedReports } from '../service/report.js';
import { openApp, withConfig, type CommonOptions, parseIssueId } from './options.js';

export function reportCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('report')
    .description("Show the delivery log: per issue, readers by state, failures by reason, deferred readers with their next attempt. Default: each newsletter's latest issue.")
    .option('-i, --issue <n>', 'this issue only', parseIssueId)
    .option('-n, --newsletter <id>', 'only this newsletter')
    .option('--recipients', 'list every reader of the issue: state, attempts, times, last SMTP reply, and the bounces and complaints that came back later')
    .option('--unmatched', 'list the bounce and complaint reports that matched no message of ours, or named one without proof (nothing was changed for them)')
    .option('--json', 'print JSON on standard output (counts keyed by state: sent, deferred, failed, skipped, unknown, queued, sending, bounced, complained)');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { issue?: number; newsletter?: string; recipients?: boolean; unmatched?: boolean; json?: boolean }) => {
    const app = await openApp(opts);
    try {
      if (opts.unmatched) {
        const events = await unmatchedReports(app);
        if (opts.json) process.stdout.write(JSON.stringify(events, null, 2) + '\n');
        else if (events.length === 0) process.stdout.write('No unmatched reports.\n');
        else for (const e of events) process.stdout.write(`${formatEvent(e)}${e.recipient ? `  recipient ${e.recipient}` : ''}\n`);
        setExit(0);
        return;
      }
      const reports = await reportIssues(app, opts);
      if (opts.json) process.stdout.write(JSON.stringify(opts.issue !== undefined ? reports[0] : reports, null, 2) + '\n');
      else if (reports.length === 0) process.stdout.write('No issue has been made yet.\n');
      else for (const r of reports) process.stdout.write(formatReport(r));
      setExit(0);
    } finally {
      await app.close();
    }
  });
}

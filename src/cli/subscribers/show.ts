import { Command } from 'commander';
import { showPerson } from '../../service/audience-admin.js';
import { formatEvent } from '../../service/report.js';
import { openApp, withConfig, type CommonOptions } from '../options.js';

/** `newsletter subscribers show` */
export function subscribersShowCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('show')
    .description('Print everything held about one address: profile, consent events, current state per newsletter, suppression, every delivery (the per-recipient log) and the bounces and complaints that came back.')
    .argument('<email>', 'the address (compared case-insensitively)')
    .option('--json', 'print JSON on standard output');
  withConfig(cmd);
  return cmd.action(async (email: string, opts: CommonOptions & { json?: boolean }) => {
    const app = await openApp(opts);
    try {
      const record = await showPerson(app, email);
      const sub = record.subscriber;
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
          '  reports after delivery (bounces, complaints):',
          ...(record.reports.length ? record.reports.map((e) => `    ${formatEvent(e)}`) : ['    none']),
        ];
        process.stdout.write(out.join('\n') + '\n');
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
}

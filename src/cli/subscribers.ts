import { Command } from 'commander';
import { normaliseEmail } from '../audience/email.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { openApp, withConfig, type CommonOptions } from './options.js';

/** `newsletter subscribers …`: what the store holds about people. */
export function subscribersCommand(setExit: (code: number) => void): Command {
  const group = new Command('subscribers').description('Inspect the audience: what is held about a person, consent history and deliveries.');
  const show = new Command('show')
    .description('Print everything held about one address: profile, consent events, current state per newsletter, suppression, and every delivery (the per-recipient log).')
    .argument('<email>', 'the address (compared case-insensitively)')
    .option('--json', 'print JSON on standard output');
  withConfig(show);
  show.action(async (email: string, opts: CommonOptions & { json?: boolean }) => {
    const app = await openApp(opts);
    try {
      const address = normaliseEmail(email);
      const sub = await app.store.findSubscriberByEmail(address);
      if (!sub) throw new NewsletterError(ErrorCodes.USAGE, `no subscriber ${address} in this store`);
      const record = {
        subscriber: sub,
        suppressed: (await app.store.suppression(sub.id)) ?? null,
        subscriptions: await app.store.subscriptionsOf(sub.id),
        consentEvents: await app.store.consentEvents(sub.id),
        deliveries: await app.store.deliveriesOf(sub.id),
      };
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
        ];
        process.stdout.write(out.join('\n') + '\n');
      }
      setExit(0);
    } finally {
      await app.close();
    }
  });
  return group.addCommand(show);
}

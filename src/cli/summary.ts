import { formatProblem } from '../domain/errors.js';
import type { SendSummary } from '../service/send-issue.js';

const AUDIENCE_WORDS: Record<string, string> = {
  consent: 'subscribed',
  pending: 'pending confirmation',
  withdrawn: 'unsubscribed',
  bounced: 'bounced',
  complained: 'complained',
};

/** The short human summary `send` and `start` print (to standard error). */
export function formatSummary(s: SendSummary): string {
  const lines: string[] = [];
  const c = s.counts;
  if (s.status === 'no-articles') {
    lines.push(`${s.newsletter}: no new articles for the slot of ${s.slot}; no issue was made.`);
  } else if (s.status === 'dry-run') {
    lines.push(
      s.issue?.id
        ? `${s.newsletter}: dry run: issue #${s.issue.id} (slot ${s.slot}) already exists: ${c.sent} sent, ${c.queued + c.deferred} still to send.`
        : `${s.newsletter}: dry run: would make an issue of ${s.issue?.articles ?? 0} articles for the slot of ${s.slot} and send it to ${s.wouldSend ?? 0} readers. Nothing was written.`,
    );
  } else if (s.status === 'paused' && !s.issue) {
    lines.push(`${s.newsletter}: PAUSED, no issue made for the slot of ${s.slot}: ${s.paused}`);
  } else if (s.status === 'waiting') {
    lines.push(`${s.newsletter}: nothing sent: ${s.waiting}`);
  } else if (s.status === 'queued') {
    lines.push(`${s.newsletter}: issue #${s.issue!.id} (slot ${s.slot}, ${s.issue!.articles} articles): ${c.queued} readers queued for \`newsletter worker\` processes (${c.sent} already sent).`);
  } else {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    lines.push(`${s.newsletter}: issue #${s.issue!.id} (slot ${s.slot}, ${s.issue!.articles} articles)${s.issue!.created ? '' : ', resumed'}`);
    lines.push(
      `  recipients ${total}: sent ${c.sent}, skipped ${c.skipped}, deferred ${c.deferred}, failed ${c.failed}, in doubt ${c.unknown}` +
        (c.queued + c.sending - (s.localTime?.waiting ?? 0) > 0 ? `, not yet sent ${c.queued + c.sending - (s.localTime?.waiting ?? 0)}` : ''),
    );
    if (c.skipped > 0) lines.push('  skipped: consent withdrawn or address suppressed after the issue was made');
    if (s.nextAttemptAt) lines.push(`  deferred readers are retried from ${s.nextAttemptAt} (by \`newsletter start\` or the next \`send\`)`);
    if (s.localTime?.waiting) lines.push(`  ${s.localTime.waiting} readers get it at ${"the slot's"} local time in their own time zone, the next at ${s.localTime.next} (by \`newsletter start\`)`);
    if (s.paused) lines.push(`  PAUSED: ${s.paused}`);
  }
  const notMailed = Object.entries(s.audience)
    .filter(([state, n]) => state !== 'consent' && n > 0)
    .map(([state, n]) => `${n} ${AUDIENCE_WORDS[state] ?? state}`);
  if (notMailed.length > 0) lines.push(`  not on this issue: ${notMailed.join(', ')}`);
  if (s.problems.length > 0) {
    lines.push(`  ${s.problems.length} problem(s) in the input, skipped or fixed up:`);
    for (const p of s.problems) lines.push(`    ${formatProblem(p)}`);
  }
  if (s.issue && s.status !== 'dry-run' && s.status !== 'queued') {
    lines.push(s.location ? `  messages: ${s.location} (capture transport: one .eml file per message; open them in a mail client)` : `  transport: ${s.transport}`);
  }
  return lines.join('\n') + '\n';
}

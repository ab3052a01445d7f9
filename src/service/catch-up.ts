export interface StartState {
  /** The newsletter's latest slot at or before now. */
  slot: Date;
  now: Date;
  issueForSlot: boolean;
  anyIssue: boolean;
  firstIssue: 'immediate' | 'next-slot';
  graceMs: number;
}

export type StartDecision = { action: 'send' | 'wait'; reason: string };

/**
 * What `start` does for a newsletter before its first tick (pure):
 * - the slot's issue exists: deliver what is left of it (nothing, if it is done);
 * - nothing was ever sent: follow the first-issue setting;
 * - the slot was missed while the service was down: send it if within the grace, else wait.
 */
export function decideOnStart(s: StartState): StartDecision {
  if (s.issueForSlot) return { action: 'send', reason: 'resume the issue of the latest slot (nothing to do if it is complete)' };
  if (!s.anyIssue) {
    return s.firstIssue === 'immediate'
      ? { action: 'send', reason: 'first issue: sent at once (firstIssue: immediate)' }
      : { action: 'wait', reason: 'first issue waits for the next slot (firstIssue: next-slot)' };
  }
  const late = s.now.getTime() - s.slot.getTime();
  if (late <= s.graceMs) return { action: 'send', reason: `catching up a slot missed ${Math.round(late / 60000)} min ago` };
  return { action: 'wait', reason: `the slot of ${s.slot.toISOString()} was missed longer ago than the catch-up grace; waiting for the next slot` };
}

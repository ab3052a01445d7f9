import type { StateCounts } from '../domain/types.js';

/**
 * Bounce and complaint rates of an issue, over the mail that left us (sent, and what later
 * reports turned into bounced or complained): what mailbox providers measure. Pure.
 */
export interface Rates {
  left: number;
  bounced: number;
  complained: number;
  bounceRate: number;
  complaintRate: number;
}

export function ratesOf(c: Pick<StateCounts, 'sent' | 'bounced' | 'complained'>): Rates {
  const left = c.sent + c.bounced + c.complained;
  return { left, bounced: c.bounced, complained: c.complained, bounceRate: left ? c.bounced / left : 0, complaintRate: left ? c.complained / left : 0 };
}

export type ComplaintVerdict = 'ok' | 'warn' | 'pause';

/** Gmail asks senders to stay under 0.1 % and never reach 0.3 % (bounces.complaints). */
export function complaintVerdict(rates: Rates, thresholds: { warnRate: number; pauseRate: number }): ComplaintVerdict {
  if (rates.complained === 0) return 'ok';
  if (rates.complaintRate > thresholds.pauseRate) return 'pause';
  return rates.complaintRate > thresholds.warnRate ? 'warn' : 'ok';
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} %`;
}

import { describe, expect, it } from 'vitest';
import { complaintVerdict, percent, ratesOf } from '../../src/bounces/rates.js';

const T = { warnRate: 0.001, pauseRate: 0.003 };

describe('bounce and complaint rates', () => {
  it('are taken over the mail that left us', () => {
    expect(ratesOf({ sent: 990, bounced: 7, complained: 3 })).toEqual({ left: 1000, bounced: 7, complained: 3, bounceRate: 0.007, complaintRate: 0.003 });
    expect(ratesOf({ sent: 0, bounced: 0, complained: 0 }).complaintRate).toBe(0);
  });
  it("warn above 0.1 % and pause above 0.3 % (Gmail's limits)", () => {
    expect(complaintVerdict(ratesOf({ sent: 1000, bounced: 0, complained: 0 }), T)).toBe('ok');
    expect(complaintVerdict(ratesOf({ sent: 999, bounced: 0, complained: 1 }), T)).toBe('ok'); // exactly 0.1 %
    expect(complaintVerdict(ratesOf({ sent: 998, bounced: 0, complained: 2 }), T)).toBe('warn');
    expect(complaintVerdict(ratesOf({ sent: 997, bounced: 0, complained: 3 }), T)).toBe('warn'); // exactly 0.3 %
    expect(complaintVerdict(ratesOf({ sent: 996, bounced: 0, complained: 4 }), T)).toBe('pause');
    expect(complaintVerdict(ratesOf({ sent: 1, bounced: 0, complained: 1 }), T)).toBe('pause');
  });
  it('print as people read them', () => {
    expect(percent(0.003)).toBe('0.30 %');
    expect(percent(0.25)).toBe('25.0 %');
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressLog, type Logger } from '../../src/domain/logger.js';

function capture(): { logger: Logger; lines: { msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const push = (msg: string, fields?: Record<string, unknown>) => void lines.push({ msg, fields });
  return { logger: { info: push, warn: push, error: push }, lines };
}

describe('progressLog', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('logs at most every interval, with the count and the fields', () => {
    const { logger, lines } = capture();
    const report = progressLog(logger, 'reading the subscriber list', { newsletter: 'weekly' }, 2000);
    report(500);
    vi.advanceTimersByTime(1999);
    report(1000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    report(1500);
    report(2000);
    expect(lines).toEqual([{ msg: 'reading the subscriber list', fields: { newsletter: 'weekly', done: 1500 } }]);
  });

  it('logs reaching a known total at once, only the first time, and the total with every line', () => {
    const { logger, lines } = capture();
    const report = progressLog(logger, 'delivering', { newsletter: 'weekly' });
    report(25, 50);
    report(50, 50);
    expect(lines).toEqual([{ msg: 'delivering', fields: { newsletter: 'weekly', done: 50, total: 50 } }]);
    // Past the total (deferred readers due again): only the interval applies.
    report(75, 50);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(2000);
    report(80, 50);
    expect(lines.at(-1)).toEqual({ msg: 'delivering', fields: { newsletter: 'weekly', done: 80, total: 50 } });
    expect(lines).toHaveLength(2);
  });
});

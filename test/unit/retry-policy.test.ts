import { describe, expect, it } from 'vitest';
import { nextAttempt } from '../../src/delivery/retry-policy.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const queuedAt = new Date('2026-03-01T08:00:00.000Z');

describe('nextAttempt', () => {
  it('backs off 5, 10, 20, 40 minutes, then hourly, by attempt number', () => {
    const now = new Date('2026-03-01T09:00:00.000Z');
    const delays = [1, 2, 3, 4, 5, 6, 20].map((attempts) => (nextAttempt(attempts, queuedAt, now, 3 * DAY)!.getTime() - now.getTime()) / MINUTE);
    expect(delays).toEqual([5, 10, 20, 40, 60, 60, 60]);
  });

  it('treats zero attempts like the first', () => {
    const now = new Date(queuedAt);
    expect(nextAttempt(0, queuedAt, now, DAY)!.getTime() - now.getTime()).toBe(5 * MINUTE);
  });

  it('gives up once the next attempt would fall past the lifetime counted from queueing', () => {
    const lifetime = 3 * DAY;
    const lastChance = new Date(queuedAt.getTime() + lifetime - 60 * MINUTE);
    expect(nextAttempt(10, queuedAt, lastChance, lifetime)?.toISOString()).toBe(new Date(queuedAt.getTime() + lifetime).toISOString());
    const tooLate = new Date(lastChance.getTime() + 1);
    expect(nextAttempt(10, queuedAt, tooLate, lifetime)).toBeUndefined();
    expect(nextAttempt(1, queuedAt, new Date(queuedAt.getTime() + 4 * DAY), lifetime)).toBeUndefined();
  });
});

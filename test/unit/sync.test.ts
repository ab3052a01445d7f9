import { describe, expect, it } from 'vitest';
import { decideImport } from '../../src/audience/sync.js';
import type { ListEntry, ListStatus } from '../../src/audience/list-file.js';
import type { Subscription } from '../../src/store/store.js';
import type { ConsentKind } from '../../src/domain/types.js';

const NOW = '2026-03-01T12:00:00.000Z';

function entry(status: ListStatus, consentedAt?: string): ListEntry {
  return { line: 2, email: 'ada@example.com', name: 'Ada', locale: '', timezone: '', status, consentedAt, source: 'list.csv', topics: [], attributes: {} };
}

function current(state: ConsentKind, stateAt: string): Subscription {
  return { subscriberId: 1, newsletterId: 'weekly-brief', state, stateAt, source: 'earlier' };
}

describe('decideImport', () => {
  it('appends consent, at the consent time, for a subscribed row with consented_at', () => {
    expect(decideImport(entry('subscribed', '2026-01-02T00:00:00.000Z'), undefined, NOW)).toEqual({
      action: 'append',
      event: { kind: 'consent', at: '2026-01-02T00:00:00.000Z', source: 'list.csv' },
    });
  });

  it('refuses a subscribed row without consented_at', () => {
    const d = decideImport(entry('subscribed'), undefined, NOW);
    expect(d.action).toBe('refuse');
    expect(d.action === 'refuse' && d.reason).toMatch(/no consented_at/);
  });

  it('never resubscribes over a withdrawal later than the consent', () => {
    const d = decideImport(entry('subscribed', '2026-01-02T00:00:00.000Z'), current('withdrawn', '2026-02-01T00:00:00.000Z'), NOW);
    expect(d.action).toBe('refuse');
    expect(d.action === 'refuse' && d.reason).toMatch(/withdrawn at 2026-02-01T00:00:00.000Z/);
  });

  it('appends a consent given after the withdrawal', () => {
    const d = decideImport(entry('subscribed', '2026-02-15T00:00:00.000Z'), current('withdrawn', '2026-02-01T00:00:00.000Z'), NOW);
    expect(d).toEqual({ action: 'append', event: { kind: 'consent', at: '2026-02-15T00:00:00.000Z', source: 'list.csv' } });
  });

  it('cannot resubscribe a bounced or complained address, even with a newer consent', () => {
    for (const state of ['bounced', 'complained'] as const) {
      const d = decideImport(entry('subscribed', '2026-02-15T00:00:00.000Z'), current(state, '2026-02-01T00:00:00.000Z'), NOW);
      expect(d.action, state).toBe('refuse');
      expect(d.action === 'refuse' && d.reason, state).toMatch(/suppressed/);
    }
  });

  it('appends pending, now, for a new address; does nothing for a known one', () => {
    expect(decideImport(entry('pending'), undefined, NOW)).toEqual({ action: 'append', event: { kind: 'pending', at: NOW, source: 'list.csv' } });
    expect(decideImport(entry('pending'), current('consent', '2026-01-02T00:00:00.000Z'), NOW)).toEqual({ action: 'none' });
  });

  it('appends a withdrawal for an unsubscribed row of an address with consent, and of a new address', () => {
    const withdrawn = { action: 'append', event: { kind: 'withdrawn', at: NOW, source: 'list.csv' } };
    expect(decideImport(entry('unsubscribed'), current('consent', '2026-01-02T00:00:00.000Z'), NOW)).toEqual(withdrawn);
    expect(decideImport(entry('unsubscribed'), undefined, NOW)).toEqual(withdrawn);
  });

  it('does nothing for an unsubscribed row of an address already withdrawn or suppressed', () => {
    for (const state of ['withdrawn', 'bounced', 'complained'] as const) {
      expect(decideImport(entry('unsubscribed'), current(state, '2026-01-02T00:00:00.000Z'), NOW), state).toEqual({ action: 'none' });
    }
  });

  it('is idempotent: re-applying the same (or an older) consent does nothing', () => {
    const at = '2026-01-02T00:00:00.000Z';
    expect(decideImport(entry('subscribed', at), current('consent', at), NOW)).toEqual({ action: 'none' });
    expect(decideImport(entry('subscribed', '2025-12-01T00:00:00.000Z'), current('consent', at), NOW)).toEqual({ action: 'none' });
  });
});

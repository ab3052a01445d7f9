import { describe, expect, it } from 'vitest';
import { latestSlotAtOrBefore, nextSlotAfter } from '../../src/compose/slots.js';

const MONDAYS = '0 8 * * 1';
const PARIS = 'Europe/Paris';
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

// Paris is UTC+1 in winter (08:00 = 07:00Z) and UTC+2 in summer (08:00 = 06:00Z).
// Summer time starts on Sunday 2026-03-29 and ends on Sunday 2026-10-25.

describe('latestSlotAtOrBefore', () => {
  it('returns the slot itself for a moment exactly at it', () => {
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-09T07:00:00.000Z')))).toBe('2026-03-09T07:00:00.000Z');
  });

  it('returns the same slot a moment later, and the previous one a moment before', () => {
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-09T07:00:00.001Z')))).toBe('2026-03-09T07:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-12T15:00:00.000Z')))).toBe('2026-03-09T07:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-09T06:59:59.999Z')))).toBe('2026-03-02T07:00:00.000Z');
  });

  it('keeps 08:00 Paris time across the change to summer time', () => {
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-29T12:00:00.000Z')))).toBe('2026-03-23T07:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-30T06:00:00.000Z')))).toBe('2026-03-30T06:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-03-30T06:30:00.000Z')))).toBe('2026-03-30T06:00:00.000Z');
  });

  it('keeps 08:00 Paris time across the change back to winter time', () => {
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-10-25T12:00:00.000Z')))).toBe('2026-10-19T06:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-10-26T06:30:00.000Z')))).toBe('2026-10-19T06:00:00.000Z');
    expect(iso(latestSlotAtOrBefore(MONDAYS, PARIS, at('2026-10-26T07:00:00.000Z')))).toBe('2026-10-26T07:00:00.000Z');
  });

  it('puts a slot on the day of the change itself at 08:00 local time', () => {
    expect(iso(latestSlotAtOrBefore('0 8 * * *', PARIS, at('2026-03-29T12:00:00.000Z')))).toBe('2026-03-29T06:00:00.000Z');
    expect(iso(latestSlotAtOrBefore('0 8 * * *', PARIS, at('2026-10-25T12:00:00.000Z')))).toBe('2026-10-25T07:00:00.000Z');
  });
  it('names one slot, not two, for a time in the hour repeated when summer time ends', () => {
    // 02:30 Paris happens twice on 2026-10-25 (00:30Z in summer time, 01:30Z in winter time).
    // nextSlotAfter goes from the first straight to the next day; latestSlotAtOrBefore must agree,
    // or a daily newsletter gets two issues that day.
    const daily = '30 2 * * *';
    expect(iso(nextSlotAfter(daily, PARIS, at('2026-10-24T12:00:00.000Z')))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(nextSlotAfter(daily, PARIS, at('2026-10-25T00:30:00.000Z')))).toBe('2026-10-26T01:30:00.000Z');
    expect(iso(latestSlotAtOrBefore(daily, PARIS, at('2026-10-25T01:45:00.000Z')))).toBe('2026-10-25T00:30:00.000Z');
  });
});

describe('nextSlotAfter', () => {
  it('returns the following slot, strictly after the given moment', () => {
    expect(iso(nextSlotAfter(MONDAYS, PARIS, at('2026-03-05T00:00:00.000Z')))).toBe('2026-03-09T07:00:00.000Z');
    expect(iso(nextSlotAfter(MONDAYS, PARIS, at('2026-03-09T07:00:00.000Z')))).toBe('2026-03-16T07:00:00.000Z');
  });

  it('keeps 08:00 Paris time across both changes', () => {
    expect(iso(nextSlotAfter(MONDAYS, PARIS, at('2026-03-23T07:00:00.000Z')))).toBe('2026-03-30T06:00:00.000Z');
    expect(iso(nextSlotAfter(MONDAYS, PARIS, at('2026-10-19T06:00:00.000Z')))).toBe('2026-10-26T07:00:00.000Z');
    expect(iso(nextSlotAfter('0 8 * * *', PARIS, at('2026-03-28T07:00:00.000Z')))).toBe('2026-03-29T06:00:00.000Z');
    expect(iso(nextSlotAfter('0 8 * * *', PARIS, at('2026-10-24T06:00:00.000Z')))).toBe('2026-10-25T07:00:00.000Z');
  });

  it('is the inverse of latestSlotAtOrBefore for a moment between slots', () => {
    const moment = at('2026-06-10T10:00:00.000Z');
    const previous = latestSlotAtOrBefore(MONDAYS, PARIS, moment);
    const next = nextSlotAfter(MONDAYS, PARIS, moment);
    expect(iso(previous)).toBe('2026-06-08T06:00:00.000Z');
    expect(iso(next)).toBe('2026-06-15T06:00:00.000Z');
    expect(iso(nextSlotAfter(MONDAYS, PARIS, previous))).toBe(iso(next));
  });
});

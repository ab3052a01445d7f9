import { describe, expect, it } from 'vitest';
import { editorTime } from '../../src/domain/dates.js';

describe('editorTime', () => {
  it('reads as people read it, in the newsletter’s zone, named', () => {
    expect(editorTime('2026-12-07T07:00:00.000Z', 'Europe/Paris')).toBe('Monday 7 December 2026, 08:00 (Europe/Paris)');
    // Across a date line: still Sunday in Honolulu.
    expect(editorTime('2026-11-30T07:00:00.000Z', 'Pacific/Honolulu')).toBe('Sunday 29 November 2026, 21:00 (Pacific/Honolulu)');
    // Just after the summer-time change in Paris (02:00 → 03:00 on 29 March 2026).
    expect(editorTime('2026-03-29T01:30:00.000Z', 'Europe/Paris')).toBe('Sunday 29 March 2026, 03:30 (Europe/Paris)');
    expect(editorTime('2026-12-07T07:00:00.000Z', 'Europe/Paris', 'fr')).toBe('lundi 7 décembre 2026, 08:00 (Europe/Paris)');
    expect(editorTime('not a time', 'UTC')).toBe('not a time');
  });
});

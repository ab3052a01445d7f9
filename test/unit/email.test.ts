import { describe, expect, it } from 'vitest';
import { cleanName, normaliseEmail } from '../../src/audience/email.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases the whole address, local part included', () => {
    expect(normaliseEmail('  ADA@Example.COM ')).toBe('ada@example.com');
    expect(normaliseEmail('\tJohn.Smith@EXAMPLE.org\n')).toBe('john.smith@example.org');
  });
});

describe('cleanName', () => {
  it('turns CR, LF and other control characters into single spaces and says so', () => {
    expect(cleanName('Ada\r\nBcc: x@y.z')).toEqual({ name: 'Ada Bcc: x@y.z', changed: true });
    expect(cleanName('Ada\u0000\u0007Lovelace')).toEqual({ name: 'Ada Lovelace', changed: true });
    expect(cleanName('Ada\u2028Lovelace')).toEqual({ name: 'Ada Lovelace', changed: true });
  });

  it('leaves an ordinary name alone (surrounding spaces do not count as a change)', () => {
    expect(cleanName('  José Núñez ')).toEqual({ name: 'José Núñez', changed: false });
  });
});

import { describe, expect, it } from 'vitest';
import { addressKey, cleanName, normaliseEmail, withoutAddresses } from '../../src/audience/email.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases the whole address, local part included', () => {
    expect(normaliseEmail('  ADA@Example.COM ')).toBe('ada@example.com');
    expect(normaliseEmail('\tJohn.Smith@EXAMPLE.org\n')).toBe('john.smith@example.org');
  });

  it('gives Unicode normal form C, so an address typed with a combining accent is the same subscriber', () => {
    expect(normaliseEmail('Zoe\u0308@Example.org')).toBe('zo\u00eb@example.org');
    expect(normaliseEmail('zo\u00eb@example.org')).toBe('zo\u00eb@example.org');
  });
});

describe('addressKey', () => {
  it('is one key for one mailbox however it is written: case, NFC or NFD, the domain in Unicode or punycode', () => {
    const key = addressKey('zoë@bücher.example');
    expect(key).toBe('zoë@xn--bcher-kva.example');
    for (const v of ['ZOË@xn--bcher-kva.example', 'zoe\u0308@BÜCHER.example', ' zoë@XN--BCHER-KVA.example ', 'Zoe\u0308@bu\u0308cher.example']) expect(addressKey(v), v).toBe(key);
    expect(addressKey('zoe@bücher.example')).not.toBe(key);
  });

  it('leaves a plain ASCII address as normaliseEmail gives it', () => {
    expect(addressKey(' ADA@Example.com')).toBe('ada@example.com');
  });
});

describe('withoutAddresses', () => {
  it('blanks every address in a relay reply, and nothing else', () => {
    expect(withoutAddresses('550 5.1.1 <zoë@bücher.example>: Recipient address rejected; also "a.b+c@x.org"')).toBe('550 5.1.1 <[address]>: Recipient address rejected; also "[address]"');
    expect(withoutAddresses('421 4.3.2 try later')).toBe('421 4.3.2 try later');
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

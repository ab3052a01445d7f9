import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/domain/password-hash.js';

describe('editor password hashes (scrypt)', () => {
  it('verifies the right password only, and a tampered or foreign hash never', async () => {
    const h = await hashPassword('correct horse battery staple');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse battery staple')).not.toBe(h); // salted
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', h)).toBe(false);
    const parts = h.split('$');
    const tampered = [...parts.slice(0, 5), `${parts[5]!.slice(0, -2)}${parts[5]!.endsWith('AA') ? 'AB' : 'AA'}`].join('$');
    expect(await verifyPassword('correct horse battery staple', tampered)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', undefined)).toBe(false);
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
  });

  it('names what is wrong with a hash, and refuses parameters that would cost minutes or gigabytes', () => {
    expect(parsePasswordHash('$2b$10$abc')).toMatchObject({ problem: expect.stringMatching(/is not a password hash/) });
    const salt = 'A'.repeat(22);
    const key = 'B'.repeat(43);
    expect(parsePasswordHash(`scrypt$1073741824$8$1$${salt}$${key}`)).toMatchObject({ problem: expect.stringMatching(/out of range/) });
    expect(parsePasswordHash(`scrypt$1024$8$1$${salt}$${key}`)).toMatchObject({ problem: expect.stringMatching(/out of range/) });
    expect(parsePasswordHash(`scrypt$32768$8$1$${salt}$${key}`)).toMatchObject({ n: 32768, r: 8, p: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { parsePostgresUrl, redactDatabaseUrl } from '../../src/store/postgres.js';
import { openStore } from '../../src/store/open.js';

describe('DATABASE_URL for PostgreSQL', () => {
  it('hides every character of the credentials when shown, whatever the password holds', () => {
    for (const [url, shown] of [
      ['postgres://app:s3cr%2Fet%40x@db.example.org:5432/news', 'postgres://…@db.example.org:5432/news'],
      ['postgres://app:pa/ss@word@db.example.org/news', 'postgres://…@db.example.org/news'],
      ['postgres://app:p%ss:w@127.0.0.1/test?schema=s1', 'postgres://…@127.0.0.1/test?schema=s1'],
      ['postgres://127.0.0.1/test', 'postgres://127.0.0.1/test'],
    ]) {
      expect(redactDatabaseUrl(url!)).toBe(shown);
      expect(redactDatabaseUrl(url!)).not.toMatch(/s3cr|word|p%ss|app:/);
    }
  });

  it('refuses a URL it cannot parse with a message that says what to encode, and never the password', () => {
    let message = '';
    try {
      parsePostgresUrl('postgres://app:pa/ss@word@db.example.org/news');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^DATABASE_URL: postgres:\/\/…@db\.example\.org\/news is not a valid URL; percent-encode/);
    expect(message).not.toMatch(/pa\/ss|word@/);
  });

  it('names the server, not the password, when it cannot connect', async () => {
    // Nothing listens on port 1 of the loopback address: the connection is refused at once.
    const error = await openStore({ kind: 'postgres', url: 'postgres://app:t0p%2Fsecret@127.0.0.1:1/test?schema=nope' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/postgres:\/\/…@127\.0\.0\.1:1\/test/);
    expect(error?.message).not.toMatch(/t0p|secret/);
  });
});

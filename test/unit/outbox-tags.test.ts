import { describe, expect, it } from 'vitest';
import { outboxTag, readOutboxTag, readTaggedAddress, taggedAddress } from '../../src/domain/outbox-tags.js';

const SECRET = 'test-secret-0123456789abcdef';

describe('signed outbox tags (VERP, mailto unsubscribe, Message-ID)', () => {
  it('names a row and reads back only with the same secret and purpose', () => {
    const tag = outboxTag('bounce', 17, SECRET);
    expect(tag).toMatch(/^17-[a-z2-7]{10}$/);
    expect(readOutboxTag('bounce', tag, [SECRET])).toBe(17);
    expect(readOutboxTag('bounce', tag.toUpperCase(), [SECRET])).toBe(17); // MTAs change case
    expect(readOutboxTag('bounce', tag, ['another-secret', SECRET])).toBe(17); // rotation
    expect(readOutboxTag('bounce', tag, ['another-secret'])).toBeUndefined();
    expect(readOutboxTag('unsubscribe', tag, [SECRET])).toBeUndefined();
  });

  it('refuses a forged row number, an altered signature and junk', () => {
    const tag = outboxTag('bounce', 17, SECRET);
    expect(readOutboxTag('bounce', tag.replace(/^17/, '18'), [SECRET])).toBeUndefined();
    expect(readOutboxTag('bounce', `17-${'a'.repeat(10)}`, [SECRET])).toBeUndefined();
    for (const junk of ['', '17', '17-', '-abc', '17-abc', `${'9'.repeat(40)}-aaaaaaaaaa`, '17-aaaaaaaaa1']) expect(readOutboxTag('bounce', junk, [SECRET])).toBeUndefined();
  });

  it('makes and reads addresses from a template', () => {
    const address = taggedAddress('bounces+{id}@News.Example.org', 'bounce', 4242, SECRET);
    expect(address).toMatch(/^bounces\+4242-[a-z2-7]{10}@News\.Example\.org$/);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(readTaggedAddress('bounces+{id}@news.example.org', 'bounce', `<${address.toUpperCase()}>`, [SECRET])).toBe(4242);
    expect(readTaggedAddress('bounces+{id}@news.example.org', 'bounce', address.replace('News.', 'evil.'), [SECRET])).toBeUndefined();
    expect(readTaggedAddress('bounces+{id}@news.example.org', 'bounce', 'bounces+4242@news.example.org', [SECRET])).toBeUndefined();
    expect(readTaggedAddress('bounces@news.example.org', 'bounce', address, [SECRET])).toBeUndefined();
  });
});

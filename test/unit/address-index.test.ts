import { describe, expect, it } from 'vitest';
import { AddressIndex, hash64 } from '../../src/audience/address-index.js';

describe('AddressIndex', () => {
  it('maps each address to the record last set, and reports the one it replaces', () => {
    const index = new AddressIndex();
    expect(index.get('ada@example.com')).toBeUndefined();
    expect(index.set('ada@example.com', 0)).toBeUndefined();
    expect(index.set('bob@example.com', 1)).toBeUndefined();
    expect(index.set('ada@example.com', 7)).toBe(0);
    expect(index.get('ada@example.com')).toBe(7);
    expect(index.get('bob@example.com')).toBe(1);
    expect(index.get('carol@example.com')).toBeUndefined();
    expect(index.size).toBe(2);
  });

  it('keeps every entry through many growths', () => {
    const index = new AddressIndex();
    const n = 200_000;
    for (let i = 0; i < n; i++) index.set(`reader${i}@example.com`, i);
    for (let i = 0; i < n; i += 2) index.set(`reader${i}@example.com`, n + i);
    expect(index.size).toBe(n);
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) if (index.get(`reader${i}@example.com`) !== (i % 2 === 0 ? n + i : i)) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(index.get(`reader${n}@example.com`)).toBeUndefined();
  });

  it('hashes near-identical addresses apart, non-ASCII too', () => {
    const seen = new Set<string>();
    const words = ['a@x.io', 'b@x.io', 'a@x.iо' /* Cyrillic o */, 'ab@x.io', 'ba@x.io', 'zoé@exemple.fr', 'zoe@exemple.fr', 'علي@مثال.com'];
    for (const w of words) seen.add(hash64(w).join(':'));
    expect(seen.size).toBe(words.length);
    expect(hash64('a@x.io')).toEqual(hash64('a@x.io'));
  });
});

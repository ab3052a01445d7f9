import { describe, expect, it } from 'vitest';
import { AddressIndex, hash32 } from '../../src/audience/address-index.js';

/** Two addresses with the same 32-bit hash (found by search). */
export const COLLIDING = ['r66999@example.com', 'r916676@example.com'] as const;

describe('AddressIndex', () => {
  it('maps each address to the record last set', () => {
    const index = new AddressIndex();
    expect(index.get('ada@example.com')).toBeUndefined();
    index.set('ada@example.com', 0);
    index.set('bob@example.com', 1);
    index.set('ada@example.com', 7);
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

  it('hashes near-identical addresses apart, non-ASCII too; colliding addresses share one slot', () => {
    const words = ['a@x.io', 'b@x.io', 'a@x.iо' /* Cyrillic o */, 'ab@x.io', 'ba@x.io', 'zoé@exemple.fr', 'zoe@exemple.fr', 'علي@مثال.com'];
    expect(new Set(words.map(hash32)).size).toBe(words.length);
    expect(hash32(COLLIDING[0])).toBe(hash32(COLLIDING[1]));
    const index = new AddressIndex();
    index.set(COLLIDING[0], 3);
    index.set(COLLIDING[1], 9);
    expect(index.get(COLLIDING[0])).toBe(9);
    expect(index.size).toBe(1);
  });
});

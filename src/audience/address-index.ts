/**
 * Remembers, for every address of a list file, the last record it appears on, in two typed
 * arrays: 8 bytes a slot, at most three quarters full (16 MB for a million addresses, where a Map
 * of the strings took several times that). Keys are a 32-bit hash of the address, so two
 * addresses can share one (about a hundred pairs in a million addresses); `get` then answers
 * for the one set last, and list-stream.ts keeps the other reader's row aside and applies it at
 * the end of the file. Pure, no I/O.
 */
export class AddressIndex {
  private key = new Uint32Array(1024);
  /** Record number + 1 (0: empty slot). */
  private value = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Sets the record of the address (or of another address with the same hash). */
  set(address: string, record: number): void {
    if ((this.count + 1) * 4 > this.value.length * 3) this.grow();
    const h = hash32(address);
    const slot = this.find(h);
    if (this.value[slot] === 0) this.count++;
    this.key[slot] = h;
    this.value[slot] = record + 1;
  }

  get(address: string): number | undefined {
    const v = this.value[this.find(hash32(address))]!;
    return v === 0 ? undefined : v - 1;
  }

  /** The slot holding this key, or the empty slot where it would go (linear probing). */
  private find(h: number): number {
    const mask = this.value.length - 1;
    let i = h & mask;
    while (this.value[i] !== 0 && this.key[i] !== h) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { key, value } = this;
    this.key = new Uint32Array(value.length * 2);
    this.value = new Uint32Array(value.length * 2);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === 0) continue;
      const slot = this.find(key[i]!);
      this.key[slot] = key[i]!;
      this.value[slot] = value[i]!;
    }
  }
}

/** FNV-1a over the UTF-16 code units, finalised with MurmurHash3's fmix32 so every bit mixes. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

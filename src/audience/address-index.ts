/**
 * Remembers, for every address of a list file, the last record it appears on, in typed arrays:
 * 12 bytes a slot and at least two slots an address (about 24 MB for a million addresses,
 * where a Map of the strings took several times that). Keys are a 64-bit hash of the address;
 * two different addresses collide with a probability near n² / 2^65 (about 3 in 100 million
 * for a million addresses), and a collision only makes the reader that reads it wrongly wait to the end of the file (list-stream.ts).
 * Pure, no I/O.
 */
export class AddressIndex {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** Record number + 1 (0: empty slot). */
  private value = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Sets the address's record; returns the one it had, if any. */
  set(address: string, record: number): number | undefined {
    if ((this.count + 1) * 2 > this.value.length) this.grow();
    const [h, l] = hash64(address);
    const slot = this.find(h, l);
    const before = this.value[slot]!;
    if (before === 0) this.count++;
    this.hi[slot] = h;
    this.lo[slot] = l;
    this.value[slot] = record + 1;
    return before === 0 ? undefined : before - 1;
  }

  get(address: string): number | undefined {
    const [h, l] = hash64(address);
    const v = this.value[this.find(h, l)]!;
    return v === 0 ? undefined : v - 1;
  }

  /** The slot holding this key, or the empty slot where it would go (linear probing). */
  private find(h: number, l: number): number {
    const mask = this.value.length - 1;
    let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask;
    while (this.value[i] !== 0 && (this.hi[i] !== h || this.lo[i] !== l)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { hi, lo, value } = this;
    const size = value.length * 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.value = new Uint32Array(size);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === 0) continue;
      const slot = this.find(hi[i]!, lo[i]!);
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.value[slot] = value[i]!;
    }
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Two independent 32-bit hashes of the UTF-16 code units (FNV-1a and a multiplicative one), each finalised. */
export function hash64(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x27d4eb2f ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul((b ^ c) + 0x7f4a7c15, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [fmix(a), fmix(b)];
}

// Maps names still in their raw bytes (a key of one or two byte ranges) to small integers, so a text
// parser turns the thousandth "temp,device=press-17" into ids without making a string: strings are
// made once per distinct name, on a miss. An open-addressing table over typed arrays.

/** What lookup() returns when the key is not there yet. */
export const MISSING = -1;

/** @internal Byte-string keys to integers; one per parse, since the integers are one builder's ids. */
export class ByteInterner {
  #mask = 63;
  #hashes = new Int32Array(64);
  /** Per slot: the value, or MISSING for an empty slot. */
  #values = new Int32Array(64).fill(MISSING);
  #keyAt = new Uint32Array(64);
  #len1 = new Uint32Array(64);
  #len2 = new Uint32Array(64);
  #stash = new Uint8Array(1024);
  #stashEnd = 0;
  #size = 0;
  /** The slot lookup() stopped at: where set() puts a missing key. */
  #slot = 0;

  /**
   * The value of the key (buf[s1, e1), buf[s2, e2)) whose FNV-1a hash over both ranges is `hash`, or
   * MISSING. Pass s2 = e2 for a one-range key.
   */
  lookup(buf: Uint8Array, s1: number, e1: number, s2: number, e2: number, hash: number): number {
    const mask = this.#mask;
    const hashes = this.#hashes;
    const values = this.#values;
    const n1 = e1 - s1;
    const n2 = e2 - s2;
    let slot = hash & mask;
    for (;;) {
      const value = values[slot];
      if (value === MISSING) break;
      if (hashes[slot] === hash && this.#len1[slot] === n1 && this.#len2[slot] === n2 && this.#same(slot, buf, s1, n1, s2, n2)) return value;
      slot = (slot + 1) & mask;
    }
    this.#slot = slot;
    return MISSING;
  }

  /** Stores `value` (≥ 0 or any other than MISSING) for the key lookup() just missed. */
  set(buf: Uint8Array, s1: number, e1: number, s2: number, e2: number, hash: number, value: number): void {
    const n1 = e1 - s1;
    const n2 = e2 - s2;
    if (this.#stashEnd + n1 + n2 > this.#stash.length) {
      const grown = new Uint8Array(Math.max(this.#stash.length * 2, this.#stashEnd + n1 + n2));
      grown.set(this.#stash.subarray(0, this.#stashEnd));
      this.#stash = grown;
    }
    const slot = this.#slot;
    const at = this.#stashEnd;
    // Names are short: a loop beats making two views to copy them.
    const stash = this.#stash;
    for (let k = 0; k < n1; k++) stash[at + k] = buf[s1 + k];
    for (let k = 0; k < n2; k++) stash[at + n1 + k] = buf[s2 + k];
    this.#stashEnd += n1 + n2;
    this.#hashes[slot] = hash;
    this.#values[slot] = value;
    this.#keyAt[slot] = at;
    this.#len1[slot] = n1;
    this.#len2[slot] = n2;
    if (++this.#size * 2 > this.#mask) this.#grow();
  }

  #same(slot: number, buf: Uint8Array, s1: number, n1: number, s2: number, n2: number): boolean {
    const stash = this.#stash;
    const at = this.#keyAt[slot];
    for (let k = 0; k < n1; k++) if (stash[at + k] !== buf[s1 + k]) return false;
    for (let k = 0; k < n2; k++) if (stash[at + n1 + k] !== buf[s2 + k]) return false;
    return true;
  }

  #grow(): void {
    const old = { hashes: this.#hashes, values: this.#values, keyAt: this.#keyAt, len1: this.#len1, len2: this.#len2 };
    const size = (this.#mask + 1) * 2;
    this.#mask = size - 1;
    this.#hashes = new Int32Array(size);
    this.#values = new Int32Array(size).fill(MISSING);
    this.#keyAt = new Uint32Array(size);
    this.#len1 = new Uint32Array(size);
    this.#len2 = new Uint32Array(size);
    for (let s = 0; s < old.values.length; s++) {
      if (old.values[s] === MISSING) continue;
      let slot = old.hashes[s] & this.#mask;
      while (this.#values[slot] !== MISSING) slot = (slot + 1) & this.#mask;
      this.#hashes[slot] = old.hashes[s];
      this.#values[slot] = old.values[s];
      this.#keyAt[slot] = old.keyAt[s];
      this.#len1[slot] = old.len1[s];
      this.#len2[slot] = old.len2[s];
    }
  }
}

/** FNV-1a's offset basis: the hash of no bytes. */
const FNV_BASIS = 0x811c9dc5 | 0;

/** @internal FNV-1a over bytes[from, to), continuing from `hash` (a key of two ranges: the first's hash). */
export function fnvOf(bytes: Uint8Array, from: number, to: number, hash = FNV_BASIS): number {
  let h = hash;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

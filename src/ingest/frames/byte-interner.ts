// Maps names still in their raw bytes (a key of one or two byte ranges) to small integers, so a text
// parser turns the thousandth "temp,device=press-17" into ids without making a string: strings are
// made once per distinct name, on a miss. An open-addressing table over typed arrays.

/** What lookup() returns when the key is not there yet. */
export const MISSING = -1;

/** Int32s per slot: hash, value, where the key's bytes start in the stash, its two lengths (and padding to 32 bytes). */
const STRIDE = 8;
const HASH = 0;
const VALUE = 1;
const KEY_AT = 2;
const LEN1 = 3;
const LEN2 = 4;

/**
 * @internal Byte-string keys to integers; one per parse, since the integers are one builder's ids. A
 * slot's fields lie together (two slots to a cache line): a lookup in a table of a fleet's names,
 * cold, costs one miss for the slot and one for the key's bytes, not one per field.
 */
export class ByteInterner {
  #mask = 63;
  /** STRIDE int32s per slot; VALUE is MISSING for an empty slot. */
  #slots = ByteInterner.#empty(64);
  #stash = new Uint8Array(1024);
  #stashEnd = 0;
  #size = 0;
  /** The slot lookup() stopped at: where set() puts a missing key. */
  #slot = 0;

  static #empty(slots: number): Int32Array {
    const table = new Int32Array(slots * STRIDE);
    for (let s = 0; s < slots; s++) table[s * STRIDE + VALUE] = MISSING;
    return table;
  }

  /**
   * The value of the key (buf[s1, e1), buf[s2, e2)) whose FNV-1a hash over both ranges is `hash`, or
   * MISSING. Pass s2 = e2 for a one-range key.
   */
  lookup(buf: Uint8Array, s1: number, e1: number, s2: number, e2: number, hash: number): number {
    const mask = this.#mask;
    const slots = this.#slots;
    const n1 = e1 - s1;
    const n2 = e2 - s2;
    let slot = hash & mask;
    for (;;) {
      const at = slot * STRIDE;
      const value = slots[at + VALUE];
      if (value === MISSING) break;
      if (slots[at + HASH] === hash && slots[at + LEN1] === n1 && slots[at + LEN2] === n2 && this.#same(slots[at + KEY_AT], buf, s1, n1, s2, n2)) return value;
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
    const keyAt = this.#stashEnd;
    // Names are short: a loop beats making two views to copy them.
    const stash = this.#stash;
    for (let k = 0; k < n1; k++) stash[keyAt + k] = buf[s1 + k];
    for (let k = 0; k < n2; k++) stash[keyAt + n1 + k] = buf[s2 + k];
    this.#stashEnd += n1 + n2;
    const at = this.#slot * STRIDE;
    const slots = this.#slots;
    slots[at + HASH] = hash;
    slots[at + VALUE] = value;
    slots[at + KEY_AT] = keyAt;
    slots[at + LEN1] = n1;
    slots[at + LEN2] = n2;
    if (++this.#size * 2 > this.#mask) this.#grow();
  }

  #same(keyAt: number, buf: Uint8Array, s1: number, n1: number, s2: number, n2: number): boolean {
    const stash = this.#stash;
    for (let k = 0; k < n1; k++) if (stash[keyAt + k] !== buf[s1 + k]) return false;
    for (let k = 0; k < n2; k++) if (stash[keyAt + n1 + k] !== buf[s2 + k]) return false;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    const size = (this.#mask + 1) * 2;
    this.#mask = size - 1;
    const slots = (this.#slots = ByteInterner.#empty(size));
    for (let from = 0; from < old.length; from += STRIDE) {
      if (old[from + VALUE] === MISSING) continue;
      let slot = old[from + HASH] & this.#mask;
      while (slots[slot * STRIDE + VALUE] !== MISSING) slot = (slot + 1) & this.#mask;
      slots.set(old.subarray(from, from + STRIDE), slot * STRIDE);
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

// Device and channel names already seen, by their UTF-8 bytes: a gateway sends the same thousand
// device names in every frame, and each would otherwise be decoded, checked and hashed again. A hit
// is the very string returned before, so maps keyed by it reuse its hash. Only names that passed the
// checks are kept; the table starts over when it holds `capacity` names.
import { ByteInterner, MISSING, fnvOf } from "./byte-interner.js";

/** @internal */
export class NameCache {
  #interner = new ByteInterner();
  #names: string[] = [];
  readonly #capacity: number;

  constructor(capacity = 1 << 18) {
    this.#capacity = capacity;
  }

  /** The name whose UTF-8 is bytes[from, to) (whose fnvOf() is `hash`), if it was added; else undefined. */
  get(bytes: Uint8Array, from: number, to: number, hash = fnvOf(bytes, from, to)): string | undefined {
    const id = this.#interner.lookup(bytes, from, to, to, to, hash);
    return id === MISSING ? undefined : this.#names[id];
  }

  /** Remembers `name`, whose UTF-8 is bytes[from, to) and which passed the name checks. */
  add(bytes: Uint8Array, from: number, to: number, name: string): void {
    if (this.#names.length >= this.#capacity) {
      this.#interner = new ByteInterner();
      this.#names = [];
    }
    const hash = fnvOf(bytes, from, to);
    if (this.#interner.lookup(bytes, from, to, to, to, hash) !== MISSING) return;
    this.#interner.set(bytes, from, to, to, to, hash, this.#names.push(name) - 1);
  }
}

// The series names one WAL file has defined: a record names a series by its number in this file
// once the file holds the record that defined it, so a gateway batch of thousands of one-reading
// runs costs a few bytes per run instead of its key. Every file starts with none (a checkpoint or a
// recovery opens a new one); replay rebuilds the same numbering from the records in order.
import type { SeriesName } from "./series-key.js";

/** @internal */
export class WalDictionary {
  readonly #ids = new Map<SeriesName, number>();
  readonly #names: SeriesName[] = [];
  /** Per id: the byte offset of the record that defined it. */
  readonly #definedAt: number[] = [];

  /** The series' number in this file, if a written record defined it. */
  idOf(name: SeriesName): number | undefined {
    if (name.walOwner === this) return name.walId;
    const id = this.#ids.get(name);
    if (id !== undefined) {
      name.walId = id;
      name.walOwner = this;
    }
    return id;
  }

  /** Names defined so far: the next name gets this number. */
  get size(): number {
    return this.#names.length;
  }

  /** Records the names a record written at byte `at` defines, numbered in order from `size`. */
  define(names: readonly SeriesName[], at: number): void {
    for (const name of names) {
      name.walId = this.#names.length;
      name.walOwner = this;
      this.#ids.set(name, this.#names.length);
      this.#names.push(name);
      this.#definedAt.push(at);
    }
  }

  /** Forgets the names defined by records at or past byte `size` (cut off the file after a failed write). */
  cutBack(size: number): void {
    while (this.#definedAt.length > 0 && this.#definedAt[this.#definedAt.length - 1] >= size) {
      this.#definedAt.pop();
      const name = this.#names.pop()!;
      this.#ids.delete(name);
      if (name.walOwner === this) name.walOwner = undefined;
    }
  }
}

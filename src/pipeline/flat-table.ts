// Reading a FlatBuffers table (the metadata of an Arrow IPC message) without generated code: a table
// points back to its vtable, whose entries give each field's position in the table (0: absent). Every
// position is checked against the metadata's bounds, so damaged bytes give undefined, never a read
// outside them.

/** One FlatBuffers table inside the bytes [start, end) of `view`. */
export class FlatTable {
  readonly #view: DataView;
  readonly #at: number;
  readonly #vtable: number;
  readonly #vtableSize: number;
  readonly #end: number;

  private constructor(view: DataView, at: number, vtable: number, vtableSize: number, end: number) {
    this.#view = view;
    this.#at = at;
    this.#vtable = vtable;
    this.#vtableSize = vtableSize;
    this.#end = end;
  }

  /** The root table of the FlatBuffer in [start, end) of `view`, or undefined when its offsets leave it. */
  static root(view: DataView, start: number, end: number): FlatTable | undefined {
    if (start + 4 > end) return undefined;
    return FlatTable.#tableAt(view, start + view.getUint32(start, true), start, end);
  }

  static #tableAt(view: DataView, at: number, start: number, end: number): FlatTable | undefined {
    if (at < start || at + 4 > end) return undefined;
    const vtable = at - view.getInt32(at, true);
    if (vtable < start || vtable + 4 > end) return undefined;
    const vtableSize = view.getUint16(vtable, true);
    if (vtableSize < 4 || vtable + vtableSize > end || at + view.getUint16(vtable + 2, true) > end) return undefined;
    return new FlatTable(view, at, vtable, vtableSize, end);
  }

  /** Where field `i` is in the bytes (for `size` bytes), 0 when the table leaves it out, −1 when it would not fit. */
  position(i: number, size: number): number {
    const entry = 4 + 2 * i;
    if (entry + 2 > this.#vtableSize) return 0;
    const offset = this.#view.getUint16(this.#vtable + entry, true);
    if (offset === 0) return 0;
    return this.#at + offset + size <= this.#end ? this.#at + offset : -1;
  }

  /** Field `i` as an unsigned byte (`absent` when left out), or undefined when it does not fit. */
  uint8(i: number, absent: number): number | undefined {
    const at = this.position(i, 1);
    return at === 0 ? absent : at < 0 ? undefined : this.#view.getUint8(at);
  }

  /** Field `i` as a 16-bit integer. */
  int16(i: number, absent: number): number | undefined {
    const at = this.position(i, 2);
    return at === 0 ? absent : at < 0 ? undefined : this.#view.getInt16(at, true);
  }

  /** Field `i` as a 64-bit integer, or undefined when it does not fit or a double cannot hold it exactly. */
  int64(i: number, absent: number): number | undefined {
    const at = this.position(i, 8);
    return at === 0 ? absent : at < 0 ? undefined : int64At(this.#view, at);
  }

  /** The table field `i` points to, or undefined when absent or out of bounds. */
  table(i: number, start: number): FlatTable | undefined {
    const at = this.position(i, 4);
    return at <= 0 ? undefined : FlatTable.#tableAt(this.#view, at + this.#view.getUint32(at, true), start, this.#end);
  }

  /** Field `i` as a vector of tables, or undefined when the vector or any of its tables leaves the bytes. */
  tables(i: number, start: number): FlatTable[] | undefined {
    const vector = this.structs(i, 4);
    if (!vector) return undefined;
    const out: FlatTable[] = [];
    for (let k = 0; k < vector.length; k++) {
      const at = vector.at + 4 * k;
      const table = FlatTable.#tableAt(this.#view, at + this.#view.getUint32(at, true), start, this.#end);
      if (!table) return undefined;
      out.push(table);
    }
    return out;
  }

  /** Field `i` as a vector of `size`-byte structs: where its first element is and how many it has. */
  structs(i: number, size: number): { at: number; length: number } | undefined {
    const field = this.position(i, 4);
    if (field <= 0) return undefined;
    const vector = field + this.#view.getUint32(field, true);
    if (vector + 4 > this.#end) return undefined;
    const length = this.#view.getUint32(vector, true);
    return vector + 4 + length * size <= this.#end ? { at: vector + 4, length } : undefined;
  }
}

/** A little-endian int64 at `at`, or undefined past ±(2^53 − 1). */
export function int64At(view: DataView, at: number): number | undefined {
  const high = view.getInt32(at + 4, true);
  if (high >= 0x200000 || high < -0x200000) return undefined;
  return high * 4294967296 + view.getUint32(at, true);
}

import { describe, expect, it } from "vitest";
import { FlatTable, int64At } from "../../src/pipeline/flat-table.js";

/**
 * A FlatBuffer laid out by hand: root offset, vtable (4 fields: int16 at +4, int64 at +8, a vector of
 * 16-byte structs at +16, field 3 left out), the table, then the vector of two structs.
 */
function sample(): DataView {
  const view = new DataView(new ArrayBuffer(72));
  view.setUint32(0, 16, true); // root table at 16
  view.setUint16(4, 12, true); // vtable: its size,
  view.setUint16(6, 20, true); // the table's size,
  view.setUint16(8, 4, true); // field 0 at +4,
  view.setUint16(10, 8, true); // field 1 at +8,
  view.setUint16(12, 16, true); // field 2 at +16,
  view.setUint16(14, 0, true); // field 3 absent
  view.setInt32(16, 16 - 4, true); // table → vtable
  view.setInt16(20, -7, true);
  view.setUint32(24, 5, true);
  view.setUint32(28, 256, true); // int64 256 × 2^32 + 5
  view.setUint32(32, 36 - 32, true); // vector at 36
  view.setUint32(36, 2, true); // two structs of 16 bytes: 40 … 72
  view.setUint32(40, 11, true);
  view.setUint32(56, 22, true);
  return view;
}

describe("FlatBuffers tables", () => {
  it("read scalars and struct vectors, and tell a left-out field from a present one", () => {
    const table = FlatTable.root(sample(), 0, 72)!;
    expect(table.int16(0, 0)).toBe(-7);
    expect(table.int64(1, 0)).toBe(256 * 2 ** 32 + 5);
    expect(table.structs(2, 16)).toEqual({ at: 40, length: 2 });
    expect(table.position(3, 8)).toBe(0);
    expect(table.uint8(3, 9)).toBe(9);
    expect(table.int64(7, 42)).toBe(42);
  });

  it("answer undefined for offsets and fields that leave the bytes, never read past them", () => {
    const view = sample();
    expect(FlatTable.root(view, 0, 24)).toBeUndefined();
    expect(FlatTable.root(view, 0, 30)).toBeUndefined(); // the table's own size crosses the end
    const small = sample();
    small.setUint16(6, 8, true); // a table that claims 8 bytes, with a field past them
    const cut = FlatTable.root(small, 0, 30)!;
    expect(cut.int16(0, 0)).toBe(-7);
    expect(cut.int64(1, 0)).toBeUndefined();
    expect(FlatTable.root(sample(), 0, 64)!.structs(2, 16)).toBeUndefined();
    const far = sample();
    far.setUint32(0, 1000, true);
    expect(FlatTable.root(far, 0, 72)).toBeUndefined();
    const badVtable = sample();
    badVtable.setInt32(16, -1000, true);
    expect(FlatTable.root(badVtable, 0, 72)).toBeUndefined();
  });

  it("read 64-bit integers only where a double holds them exactly", () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigInt64(0, -1n, true);
    expect(int64At(view, 0)).toBe(-1);
    view.setBigInt64(0, 2n ** 53n - 1n, true);
    expect(int64At(view, 0)).toBe(Number.MAX_SAFE_INTEGER);
    view.setBigInt64(0, 2n ** 53n, true);
    expect(int64At(view, 0)).toBeUndefined();
  });
});

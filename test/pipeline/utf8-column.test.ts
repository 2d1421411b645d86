import { describe, expect, it } from "vitest";
import { makeData, makeVector, Utf8, vectorFromArray } from "apache-arrow";
import { offsetsInOrder, utf8Data, utf8Strings } from "../../src/pipeline/utf8-column.js";

const ascii = ["gw-1/dev-0001", "", "temp", "a b\tc"];
const mixed = ["kühlhaus-3", "泵-7", "😀 sensor", "plain"];

describe("utf8 columns", () => {
  it("read the strings Arrow itself reads, for ASCII names, names beyond ASCII and a column sliced from a longer one", () => {
    for (const words of [ascii, mixed, [...ascii, ...mixed]]) {
      const vector = vectorFromArray(words, new Utf8());
      expect(utf8Strings(vector.data[0])).toEqual(vector.toArray());
      expect(utf8Strings(vector.slice(1, 3).data[0])).toEqual(words.slice(1, 3));
    }
  });

  it("are written with the bytes and offsets Arrow's builder writes", () => {
    for (const words of [ascii, mixed, [...ascii, ...mixed], []]) {
      const ours = utf8Data(words);
      const arrows = vectorFromArray(words, new Utf8()).data[0];
      expect(Array.from(ours.valueOffsets)).toEqual(Array.from(arrows.valueOffsets.subarray(0, words.length + 1)));
      expect(Array.from(ours.values.subarray(0, ours.valueOffsets[words.length]))).toEqual(Array.from(arrows.values.subarray(0, arrows.valueOffsets[words.length])));
      expect(makeVector(ours).toArray()).toEqual(words);
    }
  });

  it("read a bad UTF-8 sequence as U+FFFD, as Arrow does, and leave a column with nulls to the caller", () => {
    const bytes = new TextEncoder().encode("okxx");
    bytes[2] = 0xff;
    const bad = makeData({ type: new Utf8(), length: 2, nullCount: 0, valueOffsets: Int32Array.of(0, 2, 4), data: bytes });
    expect(utf8Strings(bad)).toEqual(["ok", "\ufffdx"]);
    expect(utf8Strings(vectorFromArray(["a", null], new Utf8()).data[0])).toBeUndefined();
  });

  it("take offsets only when they run in order inside the bytes", () => {
    expect(offsetsInOrder(Int32Array.of(0, 2, 2, 5), 3, 5)).toBe(true);
    expect(offsetsInOrder(Int32Array.of(0, 2, 2, 5), 3, 4)).toBe(false);
    expect(offsetsInOrder(Int32Array.of(0, 3, 2, 5), 3, 5)).toBe(false);
    expect(offsetsInOrder(Int32Array.of(-1, 2), 1, 5)).toBe(false);
    expect(offsetsInOrder(Int32Array.of(0, 2), 2, 5)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { Utf8, vectorFromArray } from "apache-arrow";
import { utf8Strings } from "../../src/pipeline/utf8-column.js";

describe("utf8 column strings", () => {
  it("are the strings Arrow itself reads, for ASCII names, names beyond ASCII and a column sliced from a longer one", () => {
    const ascii = ["gw-1/dev-0001", "", "temp", "a b\tc"];
    const mixed = ["kühlhaus-3", "泵-7", "😀 sensor", "plain"];
    for (const words of [ascii, mixed, [...ascii, ...mixed]]) {
      const vector = vectorFromArray(words, new Utf8());
      expect(utf8Strings(vector.data[0])).toEqual(vector.toArray());
      const sliced = vector.slice(1, 3);
      expect(utf8Strings(sliced.data[0])).toEqual(words.slice(1, 3));
    }
  });

  it("turns a bad UTF-8 sequence into U+FFFD, as Arrow does, and leaves a column with nulls to the caller", () => {
    const vector = vectorFromArray(["ok", "xx"], new Utf8());
    const data = vector.data[0];
    const bytes = new Uint8Array(data.values);
    bytes[data.valueOffsets[1]] = 0xff;
    const bad = data.clone(data.type, data.offset, data.length, data.nullCount, [data.valueOffsets, bytes, data.nullBitmap]);
    expect(utf8Strings(bad)).toEqual(["ok", "\ufffdx"]);
    expect(utf8Strings(vectorFromArray(["a", null], new Utf8()).data[0])).toBeUndefined();
  });
});

import { describe, it, expect } from "vitest";
import { createCodec } from "../../src/codec/index.js";

describe("codec", () => {
  it("round-trips a small regular series", async () => {
    const codec = await createCodec();
    const ts = Float64Array.from({ length: 10 }, (_, i) => 1_700_000_000_000_000 + i * 1_000_000);
    const values = Float64Array.from({ length: 10 }, (_, i) => 20 + i / 100);
    const back = codec.decode(codec.encode(ts, values));
    expect(Array.from(back.timestamps)).toEqual(Array.from(ts));
    expect(Array.from(back.values)).toEqual(Array.from(values));
  });
});

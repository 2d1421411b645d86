import { describe, it, expect } from "vitest";
import { NameCache } from "../../../src/ingest/frames/name-cache.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("the name cache", () => {
  it("returns the very string it was given for the same bytes, wherever they sit", () => {
    const cache = new NameCache();
    const name = ["press", "17"].join("-");
    cache.add(utf8(`xx${name}`), 2, 2 + name.length, name);
    const frame = utf8(`abc${name}def`);
    expect(cache.get(frame, 3, 3 + name.length)).toBe(name);
    expect(cache.get(frame, 3, 2 + name.length)).toBeUndefined();
    expect(cache.get(utf8("press-18"), 0, 8)).toBeUndefined();
  });

  it("tells names with multi-byte characters apart by their bytes", () => {
    const cache = new NameCache();
    for (const name of ["Ofen-ä", "Ofen-ö", "炉-1"]) cache.add(utf8(name), 0, utf8(name).length, name);
    for (const name of ["Ofen-ä", "Ofen-ö", "炉-1"]) expect(cache.get(utf8(name), 0, utf8(name).length)).toBe(name);
  });

  it("starts over when full, forgetting old names but never answering wrongly", () => {
    const cache = new NameCache(100);
    const names = Array.from({ length: 250 }, (_, i) => `device-${i}`);
    for (const name of names) cache.add(utf8(name), 0, name.length, name);
    for (const name of names) {
      const hit = cache.get(utf8(name), 0, name.length);
      if (hit !== undefined) expect(hit).toBe(name);
    }
    expect(cache.get(utf8("device-249"), 0, 10)).toBe("device-249");
    expect(cache.get(utf8("device-0"), 0, 8)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { PointArena } from "../../src/archive/point-arena.js";
import { PointBuffer } from "../../src/archive/points.js";

describe("head point buffers in the arena", () => {
  it("keep every series' points apart while thousands grow a point at a time", () => {
    const buffers = Array.from({ length: 3000 }, () => new PointBuffer());
    const t = new Float64Array(1);
    const v = new Float64Array(1);
    for (let round = 0; round < 70; round++) {
      buffers.forEach((b, s) => {
        t[0] = round * 1000 + s;
        v[0] = s * 0.5 + round;
        if (round % 2 === 0) b.pushRange(t, v, 0, 1, t[0]);
        else b.push(t[0], v[0]);
      });
    }
    let wrong = 0;
    buffers.forEach((b, s) => {
      expect(b.length).toBe(70);
      for (let round = 0; round < 70; round++) {
        if (b.timeAt(round) !== round * 1000 + s || b.valueAt(round) !== s * 0.5 + round) wrong++;
      }
    });
    expect(wrong).toBe(0);
    const taken = buffers[7].takeAll();
    expect(Array.from(taken.values.subarray(0, 3))).toEqual([3.5, 4.5, 5.5]);
    expect(buffers[7].length).toBe(0);
    // What was taken is a copy: the chunk's reuse by another buffer does not change it.
    buffers[8].pushRange(new Float64Array(200).fill(-1), new Float64Array(200).fill(-1), 0, 200, -1);
    expect(taken.timestamps[0]).toBe(7);
    for (const b of buffers) b.clear();
  });

  it("makes larger chunks from freed buddies instead of new slabs", () => {
    const arena = new PointArena();
    const chunks = Array.from({ length: 1 << 15 }, () => ({ data: new Float64Array(0), offset: 0, capacity: 0 }));
    for (const c of chunks) arena.take(8, c);
    const slabBytes = arena.slabBytes;
    expect(slabBytes).toBe(8 << 20);
    for (const c of chunks) arena.give(c);
    const big = { data: new Float64Array(0), offset: 0, capacity: 0 };
    arena.take(1 << 19, big);
    expect(big.capacity).toBe(1 << 19);
    expect(arena.slabBytes).toBe(slabBytes);
  });

  it("gives buffers past a slab a Float64Array of their own", () => {
    const arena = new PointArena();
    const huge = { data: new Float64Array(0), offset: 0, capacity: 0 };
    arena.take(600_000, huge);
    expect(huge.data.length).toBe(1_200_000);
    expect(arena.slabBytes).toBe(0);
    arena.give(huge);
    expect(arena.slabBytes).toBe(0);
  });
});

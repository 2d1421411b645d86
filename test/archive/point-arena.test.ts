import { describe, expect, it, vi } from "vitest";
import { PointArena, pointArena } from "../../src/archive/point-arena.js";
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
        if (round % 2 === 0) b.pushRange(t, v, 0, 1);
        else b.push(t[0], v[0]);
      });
    }
    let wrong = 0;
    buffers.forEach((b, s) => {
      expect(b.length).toBe(70);
      const { timestamps, values } = b.copy();
      for (let round = 0; round < 70; round++) {
        if (timestamps[round] !== round * 1000 + s || values[round] !== s * 0.5 + round) wrong++;
      }
    });
    expect(wrong).toBe(0);
    const taken = buffers[7].takeAll();
    expect(Array.from(taken.values.subarray(0, 3))).toEqual([3.5, 4.5, 5.5]);
    expect(buffers[7].length).toBe(0);
    // What was taken is a copy: the chunk's reuse by another buffer does not change it.
    buffers[8].pushRange(new Float64Array(200).fill(-1), new Float64Array(200).fill(-1), 0, 200);
    expect(taken.timestamps[0]).toBe(7);
    for (const b of buffers) b.clear();
  });

  it("spread the chunks they take over the readings when a fleet's series grow in lockstep", () => {
    const buffers = Array.from({ length: 6400 }, () => new PointBuffer());
    const take = vi.spyOn(pointArena, "take");
    const t = new Float64Array(1);
    const v = new Float64Array(1);
    const takenPerReading: number[] = [];
    const pointsTakenPerReading: number[] = [];
    for (let reading = 0; reading < 400; reading++) {
      take.mockClear();
      t[0] = reading;
      for (const b of buffers) b.pushRange(t, v, 0, 1);
      takenPerReading.push(take.mock.calls.length);
      pointsTakenPerReading.push(take.mock.calls.reduce((n, [points]) => n + points, 0));
    }
    take.mockRestore();
    const all = Float64Array.from({ length: 400 }, (_, i) => i);
    for (let s = 0; s < buffers.length; s += 97) expect(buffers[s].copy().timestamps).toEqual(all);
    for (const b of buffers) b.clear();
    // Past the first 64 readings, each buffer takes a 64-point chunk every 64 readings: 100 a reading
    // when spread, 6 400 every 64th reading when not.
    const past = takenPerReading.slice(128);
    expect(Math.max(...past)).toBeLessThanOrEqual(200);
    expect(past.reduce((a, b) => a + b, 0)).toBe(6400 * (past.length / 64));
    // Before that too, the column memory taken at a reading stays within twice what the readings fill
    // (phased on the first 64-point chunk only, all took their 32- and 64-point chunks at one reading: 64 ×).
    expect(Math.max(...pointsTakenPerReading.slice(1))).toBeLessThanOrEqual(2 * buffers.length);
  });

  it("makes larger chunks from freed buddies instead of new slabs", () => {
    const arena = new PointArena();
    const chunks = Array.from({ length: 1 << 15 }, () => arena.take(8));
    const slabBytes = arena.slabBytes;
    expect(slabBytes).toBe(8 << 20);
    for (const at of chunks) arena.give(at, 8);
    const big = arena.take(1 << 19);
    expect(arena.offset(big)).toBe(0);
    expect(arena.slabBytes).toBe(slabBytes);
  });

  it("keep a long series' points in order across chunks, whatever the runs they arrive in", () => {
    const buffer = new PointBuffer();
    const n = 5000;
    const ts = Float64Array.from({ length: n }, (_, i) => i * 1000);
    const vs = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    let from = 0;
    for (let run = 1; from < n; run = (run * 7) % 97 + 1) {
      const to = Math.min(n, from + run);
      if (run % 3 === 0) for (let i = from; i < to; i++) buffer.push(ts[i], vs[i]);
      else buffer.pushRange(ts, vs, from, to);
      from = to;
    }
    expect(buffer.length).toBe(n);
    const taken = buffer.takeAll();
    expect(Array.from(taken.timestamps)).toEqual(Array.from(ts));
    expect(Array.from(taken.values)).toEqual(Array.from(vs));
    expect(buffer.length).toBe(0);
  });
});

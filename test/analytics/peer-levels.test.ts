// Peer levels: a series' baseline plus its zone's median movement, refreshed at most once a second.
import { describe, it, expect } from "vitest";
import { PeerLevels, BASELINE_READINGS } from "../../src/analytics/peer-levels.js";

const S = 1e6;

describe("peer levels", () => {
  it("follow a swing every peer shares, whatever each machine's own offset, and hardly move for one faulty peer", () => {
    const p = new PeerLevels();
    const offsets = [0, 5, 9, 14, 30];
    offsets.forEach((_, s) => p.add(s, 0));
    const slots = Int32Array.from(offsets.keys());
    let out: Float64Array = new Float64Array(5);
    for (let t = 0; t < BASELINE_READINGS + 10; t++) {
      const swing = t > BASELINE_READINGS ? 7 : 0;
      out = p.levels(slots, Float64Array.from(offsets, (o, s) => 100 + o + swing + (s === 4 && t > BASELINE_READINGS ? 50 : 0)), t * S);
    }
    offsets.forEach((o, s) => expect(out[s]).toBeCloseTo(100 + o + 7, 9));
  });

  it("gives no level before a series has its baseline, or to a series in no group", () => {
    const p = new PeerLevels();
    for (let s = 0; s < 4; s++) p.add(s, 0);
    const out = p.levels(Int32Array.of(0, 1, 2, 3, 9), Float64Array.of(1, 2, 3, 4, 5), 0);
    expect([...out].every(Number.isNaN)).toBe(true);
  });
});

// Window definitions from the config file: defaults filled in, every bad field named.
import { describe, it, expect } from "vitest";
import { parseWindowSpecs, WindowConfigError } from "../../../src/analytics/windows/window-spec.js";

const refused = (v: unknown) => {
  try {
    parseWindowSpecs(v);
  } catch (err) {
    expect(err).toBeInstanceOf(WindowConfigError);
    return (err as WindowConfigError).path;
  }
  throw new Error("accepted");
};

describe("window definitions", () => {
  it("reads a sliding window in seconds into µs, with the defaults a user would expect", () => {
    const [w] = parseWindowSpecs([{ name: "avg5m", sliding: { sizeSeconds: 300, slideSeconds: 60 } }]);
    expect(w).toMatchObject({ kind: "sliding", sizeUs: 300e6, slideUs: 60e6, groupBy: "series", outOfOrdernessUs: 5e6, allowedLatenessUs: 0, idleUs: 30e6, store: true });
    expect(w.aggregates).toEqual(["count", "mean", "min", "max", "stddev", "p95"]);
  });

  it("names the first bad field", () => {
    expect(refused([{ name: "a" }])).toBe("windows[0]");
    expect(refused([{ name: "a", tumbling: { sizeSeconds: 0 } }])).toBe("windows[0].tumbling.sizeSeconds");
    expect(refused([{ name: "a", sliding: { sizeSeconds: 300, slideSeconds: 70 } }])).toBe("windows[0].sliding.slideSeconds");
    expect(refused([{ name: "a", tumbling: { sizeSeconds: 60 }, aggregates: ["median"] }])).toBe("windows[0].aggregates");
    expect(refused([{ name: "a", session: { gapSeconds: 30 }, groupBy: "zone" }])).toBe("windows[0].groupBy");
    expect(refused([{ name: "a", tumbling: { sizeSeconds: 60 }, match: { channel: ["t"] } }])).toBe("windows[0].match.channel");
    expect(refused([{ name: "a", tumbling: { sizeSeconds: 60 } }, { name: "a", tumbling: { sizeSeconds: 60 } }])).toBe("windows[1].name");
  });
});

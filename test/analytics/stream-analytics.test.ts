import { beforeEach, describe, expect, it } from "vitest";
import { StreamAnalytics } from "../../src/analytics/stream-analytics.js";
import { HEALTH } from "../../src/analytics/kernels.js";

const MINUTE = 60e6;
const T0 = 1.7e15;

/** One reading per channel of `device`, at event time = arrival time `at` (µs). */
function readings(device: string, channels: string[], at: number) {
  return {
    devices: [device],
    channels,
    device: new Uint32Array(channels.length),
    channel: Uint32Array.from(channels.keys()),
    timestamps: new Float64Array(channels.length).fill(at),
    values: Float64Array.from(channels, (_, i) => 20 + i),
  };
}

/** The device's SCHEMA issues in the fleet view at `now`. */
function schemaIssues(analytics: StreamAnalytics, device: string, now: number) {
  const d = analytics.health(now).find((h) => h.device === device);
  return (d?.issues ?? []).filter((i) => i.finding === "SCHEMA").map((i) => ({ channel: i.channel, at: i.at }));
}

describe("stream analytics", () => {
  let analytics: StreamAnalytics;
  beforeEach(async () => {
    analytics = await StreamAnalytics.create();
  });

  it("takes the channels a device brings in its first minutes as its schema, whatever batches they come in", () => {
    for (let s = 0; s < 240; s += 10) analytics.observe(readings("press-1", ["force"], T0 + s * 1e6), T0 + s * 1e6);
    analytics.observe(readings("press-1", ["temp"], T0 + 4 * MINUTE), T0 + 4 * MINUTE);
    expect(schemaIssues(analytics, "press-1", T0 + 5 * MINUTE)).toEqual([]);
  });

  it("reports a channel new to a device that had been reporting its channels for a while as a schema change, on that channel", () => {
    for (let s = 0; s <= 600; s += 10) analytics.observe(readings("press-1", ["force", "temp"], T0 + s * 1e6), T0 + s * 1e6);
    const update = T0 + 11 * MINUTE;
    analytics.observe(readings("press-1", ["force", "temp", "power"], update), update);
    expect(schemaIssues(analytics, "press-1", update + 1e6)).toEqual([{ channel: "power", at: update }]);
    const health = analytics.health(update + 1e6).find((h) => h.device === "press-1")!;
    expect(health.score).toBeLessThan(100);
    // The finding is an event: it is not found again on the channel's later readings, and is forgotten after a while.
    analytics.observe(readings("press-1", ["force", "temp", "power"], update + 10e6), update + 10e6);
    expect(schemaIssues(analytics, "press-1", update + 11e6)).toHaveLength(1);
    expect(schemaIssues(analytics, "press-1", update + 16 * MINUTE)).toEqual([]);
  });

  it("signals the schema change to alert rules that ask for it, once", () => {
    analytics.setSignalFilter({ anomalyAbove: Infinity, findings: HEALTH.SCHEMA });
    for (let s = 0; s <= 600; s += 10) expect(analytics.observe(readings("pump-7", ["flow"], T0 + s * 1e6), T0 + s * 1e6)).toEqual([]);
    const update = T0 + 11 * MINUTE;
    const signals = analytics.observe(readings("pump-7", ["flow", "pressure"], update), update);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ device: "pump-7", channel: "pressure" });
    expect(signals[0].findings & HEALTH.SCHEMA).toBe(HEALTH.SCHEMA);
    // The next batch carries no SCHEMA: its change of findings is signalled (the bit cleared), then nothing.
    const next = analytics.observe(readings("pump-7", ["flow", "pressure"], update + 10e6), update + 10e6);
    expect(next.every((s) => (s.findings & HEALTH.SCHEMA) === 0)).toBe(true);
    expect(analytics.observe(readings("pump-7", ["flow", "pressure"], update + 20e6), update + 20e6)).toEqual([]);
  });
});

// The intake path on a real MemoryBus: small frames arriving in one event-loop turn share one bus entry
// per stream; each frame is still answered for itself, once its readings are acknowledged by a consumer.
import { describe, it, expect, vi } from "vitest";
import { Intake, type IntakeCounters } from "../../src/ingest/intake.js";
import { DeviceRegistry } from "../../src/ingest/devices.js";
import { MemoryBus } from "../../src/pipeline/memory-bus.js";
import { LANES, idsByStream } from "../../src/pipeline/bus.js";
import { loadConfig } from "../../src/config.js";
import { createCodec } from "../../src/codec/index.js";
import { OPEN } from "../../src/server/auth.js";

const counters: IntakeCounters = { frame() {}, badFrame() {}, accepted() {}, newDevices() {}, rejected() {}, ackLatency() {}, clocks() {} };
const NOW = Date.now() * 1000;

describe("intake", () => {
  it("publishes the small frames of one event-loop turn together, and answers each frame for itself", async () => {
    const bus = new MemoryBus();
    const config = loadConfig(undefined, {}, { partitions: 2 });
    const intake = new Intake(bus, new DeviceRegistry(), config, await createCodec(), counters);
    const frames = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ seq: i, device: `pump-${i % 5}`, readings: [{ channel: "flow", ts: NOW - 1000 + i, value: i }, { channel: "flow", ts: NOW - 999 + i, value: "high" }] }),
    );
    const answers = Promise.all(frames.map((f) => intake.ingest("text", f, OPEN, {})));
    // Let the turn end and the gathered readings reach the bus; then act as the archive's consumer.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const streams = LANES.flatMap((lane) => [0, 1].map((partition) => ({ region: config.region, partition, lane })));
    const entries = await bus.read({ group: "g", name: "c" }, streams, 100, 0);
    expect(entries.length).toBeLessThanOrEqual(2);
    expect(entries.reduce((n, e) => n + e.batch.timestamps.length, 0)).toBe(40);
    for (const { stream, ids } of idsByStream(entries)) await bus.ack("g", stream, ids);
    const results = await answers;
    results.forEach((r, i) => expect(r).toEqual({ seq: i, accepted: 1, rejected: [{ index: 1, reason: "non_numeric" }] }));
    await bus.close();
  });

  it("refuses a device's readings past its per-device rate as rate_limited, and keeps the other devices' readings", async () => {
    const bus = new MemoryBus();
    const config = loadConfig(undefined, {}, { partitions: 1, limits: { perDeviceRate: 5 } });
    const intake = new Intake(bus, new DeviceRegistry(), config, await createCodec(), counters);
    const readings = (device: string, n: number) => Array.from({ length: n }, (_, i) => ({ device, channel: "flow", ts: NOW - 1000 + i, value: i }));
    const answer = intake.ingest("text", JSON.stringify({ seq: 1, readings: [...readings("chatty", 8), ...readings("quiet", 3)] }), OPEN, {});
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const streams = LANES.map((lane) => ({ region: config.region, partition: 0, lane }));
    const entries = await bus.read({ group: "g", name: "c" }, streams, 10, 0);
    for (const { stream, ids } of idsByStream(entries)) await bus.ack("g", stream, ids);
    const result = await answer;
    // The budget is per frame's count: chatty's 8 exceed its 5 a second, so all 8 are refused.
    expect(result.accepted).toBe(3);
    expect(result.rejected).toEqual(Array.from({ length: 8 }, (_, index) => ({ index, reason: "rate_limited" })));
    expect(entries.flatMap((e) => [...e.batch.device].map((d) => e.batch.devices[d]))).toEqual(["quiet", "quiet", "quiet"]);
    await bus.close();
  });

  it("refuses the readings of devices the token may not write, and keeps no state for them", async () => {
    const bus = new MemoryBus();
    const config = loadConfig(undefined, {}, { partitions: 1 });
    let devicesSeen = 0;
    const intake = new Intake(bus, new DeviceRegistry(), config, await createCodec(), { ...counters, newDevices: (count) => (devicesSeen += count) });
    const pumps = { tenant: "plant", mayWrite: (d: string) => d.startsWith("pump-"), everyDevice: false };
    const reading = (device: string, i: number) => ({ device, channel: "flow", ts: NOW - 1000 + i, value: i });
    const answer = intake.ingest("text", JSON.stringify({ seq: 1, readings: [reading("pump-1", 0), reading("valve-1", 1), reading("pump-1", 2)] }), pumps, {});
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const streams = LANES.map((lane) => ({ region: config.region, partition: 0, lane }));
    const entries = await bus.read({ group: "g", name: "c" }, streams, 10, 0);
    for (const { stream, ids } of idsByStream(entries)) await bus.ack("g", stream, ids);
    expect(await answer).toEqual({ seq: 1, accepted: 2, rejected: [{ index: 1, reason: "unauthorized_device" }] });
    expect(devicesSeen).toBe(1);
    expect(intake.clocks.status("valve-1")).toBeUndefined();
    await bus.close();
  });

  it("refuses a clock an hour ahead as from the future until its offset is known, then stores its readings shifted to arrival time", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const bus = new MemoryBus();
      const config = loadConfig(undefined, {}, { partitions: 1 });
      const intake = new Intake(bus, new DeviceRegistry(), config, await createCodec(), counters);
      const start = Math.floor(NOW / 1e6) * 1e6;
      const streams = LANES.map((lane) => ({ region: config.region, partition: 0, lane }));
      const results = [];
      let stored: Float64Array | undefined;
      for (let i = 0; i < 60; i++) {
        vi.setSystemTime((start + i * 1e6) / 1000);
        const answer = intake.ingest("text", JSON.stringify({ seq: i, device: "ahead", readings: [{ channel: "t", ts: start + i * 1e6 + 3600e6, value: i }] }), OPEN, {});
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        const entries = await bus.read({ group: "g", name: "c" }, streams, 10, 0);
        for (const e of entries) stored = e.batch.timestamps;
        for (const { stream, ids } of idsByStream(entries)) await bus.ack("g", stream, ids);
        results.push(await Promise.race([answer, new Promise<never>((_, no) => setTimeout(() => no(new Error(`frame ${i} not answered`)), 2000))]));
      }
      expect(results[0].rejected).toEqual([{ index: 0, reason: "future_timestamp" }]);
      expect(results[59]).toEqual({ seq: 59, accepted: 1, rejected: [] });
      expect(stored![0]).toBe(start + 59e6);
      expect(intake.clocks.status("ahead")).toMatchObject({ stable: true, correctionUs: -3600e6 });
      await bus.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

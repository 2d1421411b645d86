// Event-time windows end to end: devices stream over a real WebSocket, the workers fire per-series,
// per-device and per-zone windows, WS /v1/windows subscribers get them, the archive answers queries on
// the derived series, and a reading too late for its window lands in the late side output.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";
import { parseWindowSpecs } from "../../src/analytics/windows/window-spec.js";
import { connectIngest } from "../support/ingest-socket.js";

let dir: string;
let running: Running;
const S = 1e6;
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9; // an hour ago, on the hour
const DEVICES = ["press-1", "press-2", "press-3"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-windows-"));
  const registry = join(dir, "registry.json");
  await writeFile(registry, JSON.stringify({ devices: Object.fromEntries(DEVICES.map((d) => [d, { tags: { zone: "B" } }])) }));
  const windows = parseWindowSpecs([
    { name: "m1", tumbling: { sizeSeconds: 60 }, match: { channels: ["temperature"] }, aggregates: ["count", "mean", "max", "p50"], outOfOrdernessSeconds: 2 },
    { name: "dev1", tumbling: { sizeSeconds: 60 }, groupBy: "device", aggregates: ["count", "sum"], outOfOrdernessSeconds: 2 },
    { name: "zone5", sliding: { sizeSeconds: 300, slideSeconds: 60 }, groupBy: "zone", match: { channels: ["temperature"] }, aggregates: ["count", "mean"], outOfOrdernessSeconds: 2 },
  ]);
  running = await startIotpipe(loadConfig(undefined, {}, { port: 0, dataDir: join(dir, "data"), partitions: 4, workers: 2, registryFile: registry, windows }), () => undefined);
});

afterAll(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

function send(ws: WebSocket, frame: Uint8Array): Promise<{ accepted: number }> {
  return new Promise((resolve) => {
    ws.once("message", (data) => resolve(JSON.parse(String(data))));
    ws.send(frame);
  });
}

/** Reading value of device d, channel c at second t. */
const value = (d: number, c: number, t: number) => 20 + d + c * 100 + (t % 10);

describe("event-time windows", () => {
  it("fires series, device and zone windows to subscribers and stores them as derived series, with late readings in the side output", async () => {
    const subscriber = new WebSocket(`ws://127.0.0.1:${running.port}/v1/windows`);
    const seen: { window: string; device: string; channel?: string; start: number; update: boolean; aggregates: Record<string, number> }[] = [];
    subscriber.on("message", (data) => seen.push(JSON.parse(String(data))));
    await new Promise((resolve) => subscriber.once("open", resolve));

    const ws = await connectIngest(running.port);
    let seq = 0;
    const frame = (t: number) =>
      encodeBinaryFrame(++seq, {
        devices: DEVICES,
        channels: ["temperature", "pressure"],
        device: Uint32Array.from({ length: 6 }, (_, i) => i % 3),
        channel: Uint32Array.from({ length: 6 }, (_, i) => Math.floor(i / 3)),
        timestamps: new Float64Array(6).fill(T0 + t * S),
        values: Float64Array.from({ length: 6 }, (_, i) => value(i % 3, Math.floor(i / 3), t)),
      });
    // Seven minutes at 1 Hz.
    for (let t = 0; t < 420; t++) expect((await send(ws, frame(t))).accepted).toBe(6);
    // A reading for the first minute, long after it closed: the side output.
    const late = encodeBinaryFrame(++seq, { devices: ["press-1"], channels: ["temperature"], device: new Uint32Array(1), channel: new Uint32Array(1), timestamps: Float64Array.of(T0 + 5 * S), values: Float64Array.of(99) });
    expect((await send(ws, late)).accepted).toBe(1);
    ws.close();

    // Six closed minutes (the watermark is at 6:57) for each of the three devices; zone windows of five
    // minutes ending at minutes 1 … 6, two of them starting at T0 or later.
    await expect.poll(() => seen.filter((w) => w.window === "dev1").length, { timeout: 10_000 }).toBe(18);
    await expect.poll(() => seen.filter((w) => w.window === "zone5" && w.start >= T0).length, { timeout: 10_000 }).toBe(2);
    // Per series: minute 0 of press-1's temperature.
    const m1 = seen.find((w) => w.window === "m1" && w.device === "press-1" && w.start === T0)!;
    expect(m1.channel).toBe("temperature");
    expect(m1.aggregates).toMatchObject({ count: 60, mean: 20 + 4.5, max: 29 });
    expect(Math.abs(m1.aggregates.p50 - 24.5)).toBeLessThanOrEqual(1);
    // Per device: both channels of press-2 in minute 1.
    const dev = seen.find((w) => w.window === "dev1" && w.device === "press-2" && w.start === T0 + 60 * S)!;
    expect(dev.channel).toBeUndefined();
    expect(dev.aggregates.count).toBe(120);
    expect(dev.aggregates.sum).toBe(60 * (21 + 4.5) + 60 * (121 + 4.5));
    // Per zone, five-minute window sliding by one: all three presses' temperature.
    const zone = seen.find((w) => w.window === "zone5" && w.start === T0)!;
    expect(zone.device).toBe("zone:B");
    expect(zone.aggregates.count).toBe(900);
    expect(zone.aggregates.mean).toBeCloseTo(21 + 4.5, 9);
    expect(seen.filter((w) => w.window === "m1" && w.device === "press-1" && w.start === T0)).toHaveLength(1);
    expect(seen.filter((w) => w.window === "zone5")).toHaveLength(6);

    // The archive has the derived series and the late reading.
    await expect
      .poll(async () => (await running.pool!.query({ devices: "press-1", channel: "temperature:m1:mean", from: T0, to: T0 + 3600 * S, aggregates: ["count"] })).groups[0]?.rows[0]?.values.count ?? 0, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(5);
    const lateSeries = await running.pool!.query({ devices: "press-1", channel: "temperature:m1:late", from: T0, to: T0 + 3600 * S, aggregates: ["count", "max"] });
    expect(lateSeries.groups[0].rows[0].values).toMatchObject({ count: 1, max: 99 });
    const zoneSeries = await running.pool!.query({ devices: "zone:B", channel: "temperature:zone5:count", from: T0, to: T0 + 3600 * S, aggregates: ["max"] });
    expect(zoneSeries.groups[0].rows[0].values.max).toBe(900);
    const metrics = await (await fetch(`http://127.0.0.1:${running.port}/metrics`)).text();
    expect(metrics).toMatch(/iotpipe_window_late_readings_total\{window="m1"\} 1/);
    subscriber.close();
  });
});

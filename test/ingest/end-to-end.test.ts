import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";
import { encodeBinaryFrame, encodeBlockFrame } from "../../src/ingest/frames/binary-encode.js";
import { createCodec } from "../../src/codec/index.js";
import { connectIngest } from "../support/ingest-socket.js";

let dir: string;
let running: Running;
const NOW = Date.now() * 1000;
const T0 = Math.floor(NOW / 3.6e9) * 3.6e9 - 2 * 3.6e9; // two hours ago, on the hour

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-e2e-"));
  const config = loadConfig(undefined, {}, { port: 0, dataDir: dir, partitions: 4, workers: 2 });
  running = await startIotpipe(config, () => undefined);
});

afterAll(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

const connect = () => connectIngest(running.port);

function send(ws: WebSocket, frame: string | Uint8Array): Promise<{ ack: number | null; accepted: number; rejected: { index: number; reason: string }[]; error?: { code: string } }> {
  return new Promise((resolve) => {
    ws.once("message", (data) => resolve(JSON.parse(String(data))));
    ws.send(frame);
  });
}

describe("end to end over real sockets", () => {
  it("stores exactly what devices sent, minus the readings refused with a reason", async () => {
    const gateway = await connect();
    const devices = ["press-1", "press-2", "oven-7"];
    const sent = new Map<string, { count: number; sum: number }>();
    for (let second = 0; second < 600; second++) {
      const n = devices.length;
      const values = Float64Array.from({ length: n }, (_, d) => Math.round((20 + d + Math.sin(second / 30)) * 100) / 100);
      const frame = encodeBinaryFrame(second + 1, {
        devices,
        channels: ["temperature"],
        device: Uint32Array.from({ length: n }, (_, d) => d),
        channel: new Uint32Array(n),
        timestamps: new Float64Array(n).fill(T0 + second * 1e6),
        values,
      });
      const ack = await send(gateway, frame);
      expect(ack).toMatchObject({ ack: second + 1, accepted: n, rejected: [] });
      devices.forEach((d, i) => {
        const s = sent.get(d) ?? { count: 0, sum: 0 };
        sent.set(d, { count: s.count + 1, sum: s.sum + values[i] });
      });
    }
    const json = await send(
      gateway,
      JSON.stringify({
        seq: 9999,
        readings: [
          { device: "press-1", channel: "temperature", ts: T0 + 700e6, value: 21.5 },
          { device: "press-1", channel: "temperature", ts: NOW + 3600e6 * 24, value: 21.5 },
          { device: "press-1", channel: "temperature", ts: T0 + 701e6, value: "hot" },
        ],
      }),
    );
    expect(json.ack).toBe(9999);
    expect(json.accepted).toBe(1);
    expect(json.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, "future_timestamp"],
      [2, expect.any(String)],
    ]);
    sent.set("press-1", { count: sent.get("press-1")!.count + 1, sum: sent.get("press-1")!.sum + 21.5 });
    gateway.close();

    const result = await running.pool!.query({ channel: "temperature", from: T0, to: NOW, aggregates: ["count", "sum"], groupBy: "device" });
    const stored = new Map(result.groups.map((g) => [g.key.device, g.rows[0].values]));
    for (const [device, s] of sent) {
      expect(stored.get(device)!.count).toBe(s.count);
      expect(stored.get(device)!.sum).toBeCloseTo(s.sum, 6);
    }
  });

  it("refuses a frame it cannot read with a typed error and keeps the connection", async () => {
    const ws = await connect();
    const ack = await send(ws, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(ack.ack).toBeNull();
    expect(ack.error?.code).toBe("BAD_MAGIC");
    const ok = await send(ws, JSON.stringify({ seq: 1, device: "d", channel: "c", ts: T0, value: 1 }));
    expect(ok).toMatchObject({ ack: 1, accepted: 1 });
    ws.close();
  });

  it("takes Influx line protocol over HTTP, gzip or not, as Telegraf sends it", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `hall,device=fan-${i % 4} rpm=${1000 + i}i,value=${i / 10} ${(T0 + i * 1e6) * 1000}`).join("\n");
    const plain = await fetch(`http://127.0.0.1:${running.port}/write?db=telegraf`, { method: "POST", body: lines });
    expect(plain.status).toBe(204);
    const { gzipSync } = await import("node:zlib");
    const zipped = await fetch(`http://127.0.0.1:${running.port}/v1/write?precision=s`, {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: gzipSync(`hall,device=fan-9 rpm=5i ${Math.floor(T0 / 1e6)}\nbroken line\n`),
    });
    expect(zipped.status).toBe(400);
    expect(await zipped.json()).toMatchObject({ error: "partial write", accepted: 1 });
    const rpm = await running.pool!.query({ channel: "hall_rpm", from: T0, to: NOW, aggregates: ["count", "max"] });
    expect(rpm.groups[0].rows[0].values).toEqual({ count: 101, max: 1099 });
    const value = await running.pool!.query({ channel: "hall", devices: "fan-*", from: T0, to: NOW, aggregates: ["count"] });
    expect(value.groups[0].rows[0].values.count).toBe(100);
  });

  it("stores a large frame of edge-compressed blocks (decoded off the socket thread) exactly", async () => {
    const codec = await createCodec();
    // 45 blocks of 1 000 readings with noisy values: past 64 KiB, within the 50 000 readings of a frame.
    let seed = 12345;
    const noise = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 1_000_000) / 10_000;
    const blocks = Array.from({ length: 45 }, (_, k) => {
      const ts = Float64Array.from({ length: 1000 }, (_, i) => T0 + 3.6e9 + i * 1e6);
      const vs = Float64Array.from({ length: 1000 }, noise);
      return { device: `edge-${k}`, channel: "temp", block: codec.encode(ts, vs), max: Math.max(...vs) };
    });
    const frame = encodeBlockFrame(7, blocks);
    expect(frame.length).toBeGreaterThan(64 << 10);
    const ws = await connect();
    expect(await send(ws, frame)).toEqual({ ack: 7, accepted: 45_000, rejected: [] });
    ws.close();
    const r = await running.pool!.query({ channel: "temp", devices: "edge-*", from: T0, to: NOW, aggregates: ["count", "max"], groupBy: "device" });
    expect(r.groups).toHaveLength(45);
    for (const g of r.groups) {
      const k = Number(g.key.device.slice(5));
      expect(g.rows[0].values).toEqual({ count: 1000, max: blocks[k].max });
    }
  });

  it("decodes large line-protocol bodies on the worker threads, refusals and all", async () => {
    // 6 000 lines (≈ 300 kB: decoded off the socket thread), every 1000th with a bad field value.
    const lines = Array.from({ length: 6000 }, (_, i) =>
      i % 1000 === 999 ? `press,device=big-${i % 50} load=oops ${(T0 + i * 1e6) * 1000}` : `press,device=big-${i % 50} load=${i / 4} ${(T0 + i * 1e6) * 1000}`,
    ).join("\n");
    expect(lines.length).toBeGreaterThan(64 << 10);
    const res = await fetch(`http://127.0.0.1:${running.port}/v1/write`, { method: "POST", body: lines });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; accepted: number; rejected: { index: number; reason: string }[] };
    expect(answer).toMatchObject({ error: "partial write", accepted: 5994 });
    expect(answer.rejected.map((r) => r.index)).toEqual([999, 1999, 2999, 3999, 4999, 5999]);
    const load = await running.pool!.query({ channel: "press_load", devices: "big-*", from: T0, to: NOW, aggregates: ["count", "max"] });
    expect(load.groups[0].rows[0].values).toEqual({ count: 5994, max: 5998 / 4 });
    const broken = await fetch(`http://127.0.0.1:${running.port}/v1/write`, { method: "POST", body: `${lines}\n${"x".repeat(70_000)}` });
    expect(broken.status).toBe(400);
  });

  it("takes a line-protocol body sent in chunks without a declared length", async () => {
    const { request } = await import("node:http");
    const post = (parts: string[], headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: running.port, path: "/v1/write", method: "POST", headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        for (const part of parts) req.write(part);
        req.end();
      });
    const lines = Array.from({ length: 3000 }, (_, i) => `drip,device=tap-${i % 7} level=${i} ${(T0 + i * 1e6) * 1000}`).join("\n");
    const parts = [lines.slice(0, 50_000), lines.slice(50_000, 90_000), lines.slice(90_000)];
    expect(await post(parts, { "Transfer-Encoding": "chunked" })).toBe(204);
    const level = await running.pool!.query({ channel: "drip_level", devices: "tap-*", from: T0, to: NOW, aggregates: ["count", "max"] });
    expect(level.groups[0].rows[0].values).toEqual({ count: 3000, max: 2999 });
  });

  it("serves Prometheus metrics with the counts it has made", async () => {
    const text = await (await fetch(`http://127.0.0.1:${running.port}/metrics`)).text();
    expect(text).toMatch(/iotpipe_readings_accepted_total \d+/);
    expect(text).toMatch(/iotpipe_readings_rejected_total\{reason="future_timestamp"\} 1/);
    expect(text).toMatch(/iotpipe_frames_rejected_total\{code="BAD_MAGIC"\} 1/);
    // The archive appends: each merges one or more bus entries, and none failed.
    const count = (name: string) => Number(new RegExp(`# TYPE ${name} counter\\n${name} (\\d+)`).exec(text)?.[1]);
    expect(count("iotpipe_archive_appends_total")).toBeGreaterThan(0);
    expect(count("iotpipe_archive_append_batches_total")).toBeGreaterThanOrEqual(count("iotpipe_archive_appends_total"));
    expect(count("iotpipe_archive_append_failures_total")).toBe(0);
    // Every append's time and its fsync's, in histograms.
    const observed = (name: string) => Number(new RegExp(`^${name}_count (\\d+)$`, "m").exec(text)?.[1]);
    expect(observed("iotpipe_archive_append_seconds")).toBe(count("iotpipe_archive_appends_total"));
    expect(observed("iotpipe_wal_fsync_seconds")).toBe(count("iotpipe_archive_appends_total"));
  });
});

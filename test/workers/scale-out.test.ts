import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm, readdir } from "node:fs/promises";
import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { SimClient } from "../../src/sim/client.js";
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";
import { Archive } from "../../src/archive/archive.js";
import type { QueryResult } from "../../src/query/query.js";
import { redisServerForTests, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startServerProcess } from "../support/server-process.js";
import { freePort } from "../support/free-port.js";

const redis = redisServerForTests("scale-out workers");
const cli = fileURLToPath(new URL("../../dist/cli/iotpipe.js", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9;
const PER_FRAME = 20;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function worker(url: string, dataDir: string, name: string, metricsPort: number): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, "worker", "--redis", url, "--data", dataDir, "--name", name, "--port", String(metricsPort)], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
}

function frame(device: string, seq: number): Uint8Array {
  return encodeBinaryFrame(seq, {
    devices: [device],
    channels: ["pressure"],
    device: new Uint32Array(PER_FRAME),
    channel: new Uint32Array(PER_FRAME),
    timestamps: Float64Array.from({ length: PER_FRAME }, (_, k) => T0 + (seq * PER_FRAME + k) * 1000),
    values: Float64Array.from({ length: PER_FRAME }, (_, k) => seq + k / 100),
  });
}

describe.runIf("binary" in redis || redis.mustFail)("scale-out through Redis Streams", () => {
  it("keeps every acknowledged reading exactly once when one of two workers is killed mid-stream", async () => {
    if (!("binary" in redis)) throw new Error(redis.missing);
    const server: RedisServer = await startRedisServer(redis.binary);
    cleanups.push(() => server.stop());
    const dataDir = await mkdtemp(join(tmpdir(), "iotpipe-scale-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const ingest = await startServerProcess(dataDir, {}, ["--redis", server.url]);
    cleanups.push(async () => void (await ingest.stop()));
    const admin = new Redis(server.url);
    cleanups.push(async () => admin.disconnect());

    const w1 = worker(server.url, dataDir, "w1", await freePort());
    const w2Metrics = await freePort();
    const w2 = worker(server.url, dataDir, "w2", w2Metrics);
    cleanups.push(async () => void w2.child.kill("SIGKILL"));
    const owners = async () => Promise.all(Array.from({ length: 8 }, (_, p) => admin.get(`iotpipe:local:lease:p${p}`)));
    const shared = async () => {
      const o = await owners();
      return o.every((x) => x !== null) && o.includes("w1") && o.includes("w2");
    };
    for (let i = 0; i < 150 && !(await shared()); i++) await sleep(100);
    expect(new Set(await owners())).toEqual(new Set(["w1", "w2"]));

    const devices = Array.from({ length: 8 }, (_, i) => `pump-${i}`);
    const clients = devices.map(() => new SimClient(`ws://127.0.0.1:${ingest.port}/v1/ingest`));
    let seq = 0;
    const sendFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        seq++;
        devices.forEach((d, i) => clients[i].send(seq, frame(d, seq)));
        await sleep(4);
      }
    };
    await sendFor(1500);
    w1.child.kill("SIGKILL");
    await w1.exited;
    await sendFor(1500);
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.pending > 0) && Date.now() < deadline) {
      clients.forEach((c) => c.resendStale(1000));
      await sleep(100);
    }
    expect(clients.map((c) => c.pending)).toEqual(devices.map(() => 0));
    clients.forEach((c) => c.close());

    // The survivor takes over w1's partitions (after its leases expire) and drains every stream.
    for (let i = 0; i < 200 && (await owners()).some((o) => o !== "w2"); i++) await sleep(100);
    expect(await owners()).toEqual(Array(8).fill("w2"));
    const streams = (await admin.keys("iotpipe:local:p*")).sort();
    const backlog = async () => {
      let total = 0;
      for (const key of streams) {
        const groups = (await admin.xinfo("GROUPS", key)) as unknown[][];
        for (const g of groups) {
          const info = Object.fromEntries(Array.from({ length: g.length / 2 }, (_, k) => [g[2 * k], g[2 * k + 1]]));
          total += Number(info.pending) + Number(info.lag ?? 0);
        }
      }
      return total;
    };
    for (let i = 0; i < 300 && (await backlog()) > 0; i++) await sleep(100);
    expect(await backlog()).toBe(0);

    // The ingest process holds no archive: it asks the worker over Redis, and hears from every partition.
    const asked = await fetch(`http://127.0.0.1:${ingest.port}/v1/query`, {
      method: "POST",
      body: JSON.stringify({ channel: "pressure", from: T0, to: T0 + 3.6e9, aggregates: ["count"], groupBy: "device" }),
    });
    expect(asked.status).toBe(200);
    const answer = (await asked.json()) as QueryResult;
    expect(answer.warnings).toEqual([]);
    expect(Object.fromEntries(answer.groups.map((g) => [g.key.device, g.rows[0].values.count]))).toEqual(Object.fromEntries(devices.map((d) => [d, seq * PER_FRAME])));
    const invalid = await fetch(`http://127.0.0.1:${ingest.port}/v1/query`, { method: "POST", body: JSON.stringify({ channel: "pressure", from: 2, to: 1 }) });
    expect(invalid.status).toBe(400);

    // The survivor's own /metrics: every partition held, nothing waiting, each append timed once.
    const scraped = await fetch(`http://127.0.0.1:${w2Metrics}/metrics`);
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value("iotpipe_worker_partitions_owned")).toBe(8);
    expect(value("iotpipe_worker_partitions_taken_total")).toBeGreaterThanOrEqual(8);
    expect(value("iotpipe_worker_backlog_entries")).toBe(0);
    expect(value("iotpipe_worker_readings_stored_total")).toBeGreaterThan(0);
    expect(value("iotpipe_worker_readings_stored_total")).toBeLessThanOrEqual(devices.length * seq * PER_FRAME);
    expect(value("iotpipe_archive_appends_total")).toBeGreaterThan(0);
    expect(value("iotpipe_archive_append_seconds_count")).toBe(value("iotpipe_archive_appends_total"));
    expect(value("iotpipe_wal_fsync_seconds_count")).toBe(value("iotpipe_archive_appends_total"));

    w2.child.kill("SIGINT");
    expect(await w2.exited).toBe(0);

    const counts = new Map<string, number>();
    for (const name of (await readdir(dataDir)).filter((n) => /^p\d{3}$/.test(n))) {
      const archive = await Archive.open(join(dataDir, name));
      const r = await archive.query({ channel: "pressure", from: T0, to: T0 + 3.6e9, aggregates: ["count"], groupBy: "device" });
      for (const g of r.groups) counts.set(g.key.device, (counts.get(g.key.device) ?? 0) + (g.rows[0]?.values.count as number));
      expect((await archive.verify()).clean).toBe(true);
      await archive.close();
    }
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(devices.map((d) => [d, seq * PER_FRAME])));
  });
});

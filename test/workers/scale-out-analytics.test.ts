// Analytics in scale-out mode: `iotpipe serve --redis` takes the frames, an `iotpipe worker` process
// (started once they wait in Redis) archives them and runs the kernels and windows on what it stored;
// the serve process answers GET /v1/health by asking the worker over Redis and pushes the worker's
// fired windows to its WS /v1/windows subscribers; the worker's health signals reach the ingest
// process's alert rules; zone windows are merged in the ingest process and stored by the worker as
// derived series.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { stuckSensorFrame, STUCK_SENSOR_DEVICES, STUCK_SENSOR_SECONDS } from "../support/stuck-sensor.js";
import { redisServerForTests, startRedisServer } from "../support/redis-server.js";
import { startServerProcess } from "../support/server-process.js";
import { connectIngest } from "../support/ingest-socket.js";

const redis = redisServerForTests("scale-out analytics");
const cli = fileURLToPath(new URL("../../dist/cli/iotpipe.js", import.meta.url));
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.runIf("binary" in redis || redis.mustFail)("analytics in scale-out mode", () => {
  it("serves the worker processes' health and windows from the ingest process", async () => {
    if (!("binary" in redis)) throw new Error(redis.missing);
    const server = await startRedisServer(redis.binary);
    cleanups.push(() => server.stop());
    const dir = await mkdtemp(join(tmpdir(), "iotpipe-scale-analytics-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, "config.json");
    const alertsFile = join(dir, "alerts.json");
    await writeFile(alertsFile, JSON.stringify({ rules: [{ name: "stuck-sensor", severity: "warning", health: { findings: ["STUCK"] } }] }));
    const registryFile = join(dir, "registry.json");
    await writeFile(registryFile, JSON.stringify({ devices: Object.fromEntries(STUCK_SENSOR_DEVICES.map((d) => [d, { tags: { zone: "hall" } }])) }));
    await writeFile(
      config,
      JSON.stringify({
        alertsFile,
        registryFile,
        windows: [
          { name: "m1", tumbling: { sizeSeconds: 60 }, aggregates: ["count", "mean"], outOfOrdernessSeconds: 2 },
          { name: "hall1", tumbling: { sizeSeconds: 60 }, groupBy: "zone", aggregates: ["count", "max"], outOfOrdernessSeconds: 2 },
        ],
      }),
    );
    const data = join(dir, "data");
    const ingest = await startServerProcess(data, {}, ["--redis", server.url, "--config", config]);
    cleanups.push(() => ingest.stop());
    const subscriber = new WebSocket(`ws://127.0.0.1:${ingest.port}/v1/windows`);
    const windows: { window: string; device: string; start: number; aggregates: Record<string, number> }[] = [];
    // A window's latest result stands: a zone window can come out first with one pump's minute and be
    // updated with both, when the worker reads one pump's partition ahead of the other's.
    const latest = (name: string) => {
      const byWindow = new Map<string, (typeof windows)[number]>();
      for (const w of windows) if (w.window === name) byWindow.set(`${w.device} ${w.start}`, w);
      return [...byWindow.values()];
    };
    subscriber.on("message", (d) => windows.push(JSON.parse(String(d))));
    await new Promise((resolve) => subscriber.once("open", resolve));
    cleanups.push(async () => subscriber.close());
    const alerts = new WebSocket(`ws://127.0.0.1:${ingest.port}/v1/alerts`);
    const events: { type: string; alert?: { rule: string; device: string } }[] = [];
    alerts.on("message", (d) => events.push(JSON.parse(String(d))));
    await new Promise((resolve) => alerts.once("open", resolve));
    cleanups.push(async () => alerts.close());

    // Two devices at 1 Hz for 15 minutes; pump-1's sensor sticks at 41.5 for the last two and a half.
    const ws = await connectIngest(ingest.port);
    for (let second = 0; second < STUCK_SENSOR_SECONDS; second++) {
      const frame = stuckSensorFrame(T0, second);
      const ack = await new Promise<{ accepted: number }>((resolve) => {
        ws.once("message", (m) => resolve(JSON.parse(String(m))));
        ws.send(frame);
      });
      expect(ack.accepted).toBe(2);
    }
    ws.close();
    // The worker starts only now, on a backlog: the alert rules' signal filter must be in force before
    // it stores its first batch, or the STUCK signal is never sent.
    const worker = spawn(process.execPath, [cli, "worker", "--redis", server.url, "--data", data, "--name", "w1", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    worker.stdout!.resume();
    worker.stderr!.resume();
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    cleanups.push(async () => {
      worker.kill("SIGINT");
      await exited;
    });

    await expect
      .poll(async () => {
        const body = await (await fetch(`http://127.0.0.1:${ingest.port}/v1/health`)).json();
        return body.fleet?.[0]?.issues?.some((i: { finding: string }) => i.finding === "STUCK") ? body.fleet[0].device : undefined;
      }, { timeout: 15_000, interval: 250 })
      .toBe("pump-1");
    // Fourteen closed minutes of each device (the watermark is at 14:57).
    await expect.poll(() => latest("m1").length, { timeout: 15_000 }).toBe(28);
    expect(latest("m1").filter((w) => w.device === "pump-2").every((w) => w.aggregates.count === 60)).toBe(true);
    // Both pumps' minutes merged per zone by the ingest process, and stored back by the worker.
    await expect.poll(() => latest("hall1").filter((w) => w.device === "zone:hall" && w.aggregates.count === 120).length, { timeout: 15_000 }).toBe(14);
    expect(latest("hall1")).toHaveLength(14);
    const stored = async () => {
      const res = await fetch(`http://127.0.0.1:${ingest.port}/v1/query`, {
        method: "POST",
        body: JSON.stringify({ devices: "zone:hall", channel: "temperature:hall1:count", from: T0, to: T0 + 3.6e9, aggregates: ["count", "max"] }),
      });
      return (await res.json()).groups?.[0]?.rows?.[0]?.values;
    };
    await expect.poll(stored, { timeout: 15_000 }).toEqual({ count: 14, max: 120 });
    // The worker's STUCK signal reached the ingest process's alert rules.
    await expect.poll(() => events.some((e) => e.alert?.rule === "stuck-sensor" && e.alert.device === "pump-1"), { timeout: 15_000 }).toBe(true);
  });
});

import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimClient } from "../../src/sim/client.js";
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { freePort } from "../support/free-port.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9;
const PER_FRAME = 10;

function frame(device: string, seq: number): Uint8Array {
  return encodeBinaryFrame(seq, {
    devices: [device],
    channels: ["temperature"],
    device: new Uint32Array(PER_FRAME),
    channel: new Uint32Array(PER_FRAME),
    timestamps: Float64Array.from({ length: PER_FRAME }, (_, k) => T0 + (seq * PER_FRAME + k) * 1000),
    values: Float64Array.from({ length: PER_FRAME }, (_, k) => (seq + k) % 97),
  });
}

describe("a server killed with SIGKILL under load", () => {
  it("loses and duplicates no acknowledged reading once clients resend after the restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iotpipe-kill-"));
    dirs.push(dir);
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(dir, {}, ["--port", String(port)]);
    const devices = ["a", "b", "c", "d"];
    const clients = devices.map(() => new SimClient(`ws://127.0.0.1:${port}/v1/ingest`));
    const sent = new Map(devices.map((d) => [d, 0]));
    let sending = true;
    const pump = (async () => {
      let seq = 0;
      while (sending) {
        seq++;
        devices.forEach((d, i) => {
          clients[i].send(seq, frame(d, seq));
          sent.set(d, seq);
        });
        clients.forEach((c) => c.resendStale(1500));
        await sleep(5);
      }
    })();
    await sleep(1500);
    const ackedBeforeKill = clients.reduce((s, c) => s + c.stats.framesAcked, 0);
    await server.kill();
    await sleep(300);
    server = await startServerProcess(dir, {}, ["--port", String(port)]);
    await sleep(1000);
    sending = false;
    await pump;
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.pending > 0) && Date.now() < deadline) {
      clients.forEach((c) => c.resendStale(1000));
      await sleep(100);
    }
    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(clients.map((c) => c.pending)).toEqual(devices.map(() => 0));
    clients.forEach((c) => c.close());

    const response = await fetch(`http://127.0.0.1:${port}/v1/query`, {
      method: "POST",
      body: JSON.stringify({ channel: "temperature", from: T0, to: T0 + 3.6e9, aggregates: ["count"], groupBy: "device" }),
    });
    const result = (await response.json()) as { groups: { key: { device: string }; rows: { values: { count: number } }[] }[] };
    const counts = Object.fromEntries(result.groups.map((g) => [g.key.device, g.rows[0].values.count]));
    expect(counts).toEqual(Object.fromEntries(devices.map((d) => [d, sent.get(d)! * PER_FRAME])));
    expect(await server.stop()).toBe(0);
  });
});

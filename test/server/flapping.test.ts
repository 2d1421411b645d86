import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";

let dir: string;
let running: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-flap-"));
  const config = loadConfig(undefined, {}, {
    port: 0,
    dataDir: dir,
    partitions: 2,
    workers: 1,
    tokens: { "flappy-token": { tenant: "t1", devices: ["*"] }, "steady-token": { tenant: "t1", devices: ["*"] } },
    limits: { flapLimit: 5, flapShortLivedSeconds: 5, flapCooldownSeconds: 30 },
  });
  running = await startIotpipe(config, () => undefined);
});

afterAll(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a socket with `token` and closes it at once; resolves with the upgrade's HTTP status. */
function connectAndDrop(token: string | undefined): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve) => {
    const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${running.port}/v1/ingest`, { headers });
    ws.once("open", () => {
      ws.once("close", () => resolve({ status: 101 }));
      ws.close();
    });
    ws.once("unexpected-response", (_req, res) => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined }));
    ws.once("error", () => undefined);
  });
}

describe("flapping detection", () => {
  it("refuses a token that keeps reconnecting with 429 and Retry-After, and lets other tokens in", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await connectAndDrop("flappy-token")).status);
    expect(statuses).toEqual([101, 101, 101, 101, 101]);
    // The server records a close a moment after the client's.
    await new Promise((r) => setTimeout(r, 100));
    const refused = await connectAndDrop("flappy-token");
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await connectAndDrop("steady-token")).status).toBe(101);
    expect((await connectAndDrop(undefined)).status).toBe(401);
    expect(running.metrics.refused.get("flapping")).toBe(1);
  });
});

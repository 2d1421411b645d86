import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, DEFAULT_FLEET } from "../../src/sim/fleet.js";
import { NO_CHAOS } from "../../src/sim/chaos.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

let dir: string;
let server: ServerProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-fleet-"));
  server = await startServerProcess(dir);
});

afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the simulated fleet", () => {
  it.each(["binary", "json"] as const)("sends %s frames the server reads when every device's clock jumps on every tick", async (format) => {
    // Clock skew is drawn per device and tick; with it certain, each tick's frames carry skewed timestamps.
    const fleet = new Fleet({ ...DEFAULT_FLEET, devices: 20, devicesPerConnection: 10, rateHz: 10, format, chaos: { ...NO_CHAOS, skew: 1 }, url: `ws://127.0.0.1:${server.port}/v1/ingest` });
    fleet.start();
    const deadline = Date.now() + 10_000;
    while (fleet.stats().readingsAcked + fleet.stats().rejected < 200 && Date.now() < deadline) await sleep(100);
    fleet.stop();
    const stats = fleet.stats();
    expect(stats.readingsSent).toBeGreaterThan(0);
    // Skewed readings are accepted or refused with a reason (a clock far ahead is "from the future"), never unread.
    expect(stats.readingsAcked + stats.rejected).toBeGreaterThanOrEqual(200);
    expect(fleet.truth.filter((t) => t.kind === "skew").length).toBeGreaterThan(0);
  });
});

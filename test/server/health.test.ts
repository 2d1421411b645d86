// GET /v1/health end to end: devices stream over a real WebSocket, the workers' analytics judge what
// they archive, and the fleet view names the stuck sensor, with its severity and explanation.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";
import { stuckSensorFrame, STUCK_SENSOR_SECONDS } from "../support/stuck-sensor.js";
import { connectIngest } from "../support/ingest-socket.js";

let dir: string;
let running: Running;
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-health-"));
  running = await startIotpipe(loadConfig(undefined, {}, { port: 0, dataDir: dir, partitions: 2, workers: 2 }), () => undefined);
});

afterAll(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

const connect = () => connectIngest(running.port);

describe("GET /v1/health", () => {
  it("names the stuck sensor in the fleet view, least healthy device first", async () => {
    const ws = await connect();
    for (let second = 0; second < STUCK_SENSOR_SECONDS; second++) {
      const frame = stuckSensorFrame(T0, second);
      await new Promise<void>((resolve) => {
        ws.once("message", () => resolve());
        ws.send(frame);
      });
    }
    ws.close();
    const res = await fetch(`http://127.0.0.1:${running.port}/v1/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.devices).toBe(2);
    expect(body.fleet[0].device).toBe("pump-1");
    const stuck = body.fleet[0].issues.find((i: { finding: string }) => i.finding === "STUCK");
    expect(stuck).toMatchObject({ channel: "temperature", severity: "critical" });
    expect(stuck.explanation).toMatch(/repeated/);
    expect(body.fleet[0].score).toBeLessThan(body.fleet[1].score);
    expect(body.fleet[1].issues.some((i: { finding: string }) => i.finding === "STUCK")).toBe(false);
  });
});

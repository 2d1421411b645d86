// Alerts end to end over real sockets: devices stream to WS /v1/ingest; the reading rules fire on
// arrival, the health rules on the workers' signals; subscribers of WS /v1/alerts and a webhook on
// 127.0.0.1 get the events; alerts are acknowledged, listed, found in history, survive a restart, and
// a bad rules file is refused while the rules in force stay.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { loadConfig, type Config } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";
import type { AlertEvent } from "../../src/alerts/lifecycle.js";
import { connectIngest } from "../support/ingest-socket.js";

let dir: string;
let config: Config;
let running: Running;
let hook: Server;
const hooked: AlertEvent[] = [];
const NOW = Math.floor(Date.now() / 1000) * 1e6;

const RULES = {
  rules: [
    { name: "hot", severity: "warning", match: { channels: ["temp"] }, threshold: { above: 90 }, for: { readings: 2 } },
    { name: "repeated-timestamps", severity: "info", health: { findings: ["DUPLICATE"] } },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-alerts-"));
  hook = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      hooked.push(...JSON.parse(text).events);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  await writeFile(join(dir, "registry.json"), JSON.stringify({ devices: { "pump-1": { tags: { zone: "a", type: "pump" }, channels: { pressure: { criticalAbove: 150 } } } } }));
  await writeFile(join(dir, "alerts.json"), JSON.stringify({ ...RULES, sinks: { webhooks: [{ url }] } }));
  config = loadConfig(undefined, {}, { port: 0, dataDir: join(dir, "data"), partitions: 2, workers: 2, registryFile: join(dir, "registry.json"), alertsFile: join(dir, "alerts.json") });
  running = await startIotpipe(config, () => undefined);
});

afterAll(async () => {
  await running?.stop();
  await new Promise((resolve) => hook.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A WS /v1/alerts subscriber that collects what it is sent. */
async function subscribe(): Promise<{ ws: WebSocket; messages: { type: string; alert?: { rule: string; id: string }; alerts?: unknown[] }[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${running.port}/v1/alerts`);
  const messages: { type: string }[] = [];
  ws.on("message", (m) => messages.push(JSON.parse(String(m))));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return { ws, messages };
}

async function send(ws: WebSocket, seq: number, device: string, channel: string, readings: [number, number][]): Promise<void> {
  const frame = encodeBinaryFrame(seq, {
    devices: [device],
    channels: [channel],
    device: new Uint32Array(readings.length),
    channel: new Uint32Array(readings.length),
    timestamps: Float64Array.from(readings, (r) => NOW + r[0] * 1e6),
    values: Float64Array.from(readings, (r) => r[1]),
  });
  await new Promise<void>((resolve) => {
    ws.once("message", () => resolve());
    ws.send(frame);
  });
}

async function until<T>(find: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("timed out");
}

const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${running.port}${path}`, init).then(async (r) => ({ status: r.status, body: await r.json() }));

describe("alerts end to end", () => {
  it("raises, delivers, acknowledges and records alerts from reading rules, the registry and health signals", async () => {
    const sub = await subscribe();
    await until(() => sub.messages.find((m) => m.type === "active"));
    const device = await connectIngest(running.port);
    await send(device, 1, "pump-1", "pressure", [[0, 120], [1, 160]]);
    await send(device, 2, "press-1", "temp", [[0, 95]]);
    await send(device, 3, "press-1", "temp", [[1, 96]]);
    await send(device, 4, "press-2", "rpm", [[0, 1000], [0, 1001]]);
    const firing = (rule: string) => until(() => sub.messages.find((m) => m.type === "firing" && m.alert!.rule === rule));
    const critical = await firing("registry-critical");
    const hot = await firing("hot");
    await firing("repeated-timestamps");
    expect(sub.messages.filter((m) => m.alert?.rule === "hot").map((m) => m.type)).toEqual(["pending", "firing"]);
    await until(() => (hooked.filter((e) => e.type === "firing").length === 3 ? true : undefined));
    expect(hooked.some((e) => e.type === "pending")).toBe(false);

    const active = await api("/v1/alerts/active");
    expect(active.body.alerts.map((a: { rule: string }) => a.rule)).toEqual(["registry-critical", "hot", "repeated-timestamps"]);
    expect(active.body.alerts[0]).toMatchObject({ device: "pump-1", channel: "pressure", severity: "critical", value: 160, state: "firing" });

    const ack = await api("/v1/alerts/ack", { method: "POST", body: JSON.stringify({ id: critical.alert!.id, by: "night shift" }) });
    expect(ack.status).toBe(200);
    expect(ack.body.alert.acknowledged).toMatchObject({ by: "night shift" });
    await until(() => sub.messages.find((m) => m.type === "acknowledged"));
    expect((await api("/v1/alerts/ack", { method: "POST", body: JSON.stringify({ id: "nope" }) })).status).toBe(404);

    await send(device, 5, "press-1", "temp", [[2, 70]]);
    await until(() => sub.messages.find((m) => m.type === "resolved" && m.alert!.id === hot.alert!.id));
    const history = await api(`/v1/alerts/history?rule=hot`);
    expect(history.body.events.map((e: AlertEvent) => e.type)).toEqual(["resolved", "firing", "pending"]);
    expect((await api("/v1/alerts/history?type=fired")).status).toBe(400);
    device.close();
    sub.ws.close();
  });

  it("refuses a bad rules file and keeps the rules in force; takes a good one", async () => {
    const file = join(dir, "alerts.json");
    await writeFile(file, JSON.stringify({ rules: [{ name: "hot", threshold: { above: "ninety" } }] }));
    const refused = await api("/v1/alerts/reload", { method: "POST" });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/rules\[0\]\.threshold\.above/);
    await writeFile(file, JSON.stringify({ rules: [...RULES.rules, { name: "cold", match: { channels: ["temp"] }, threshold: { below: 0 } }] }));
    const taken = await api("/v1/alerts/reload", { method: "POST" });
    expect(taken.body).toEqual({ ok: true, rules: 3 });
    const device = await connectIngest(running.port);
    await send(device, 1, "press-3", "temp", [[0, -5]]);
    device.close();
    await until(() => ((running.alerts.active().some((a) => a.rule === "cold")) ? true : undefined));
  });

  it("takes up the alerts that were open when the process stopped", async () => {
    const before = running.alerts.active().map((a) => a.id).sort();
    expect(before.length).toBeGreaterThan(0);
    await running.stop();
    running = await startIotpipe(config, () => undefined);
    const after = await api("/v1/alerts/active");
    expect(after.body.alerts.map((a: { id: string }) => a.id).sort()).toEqual(before);
  });
});

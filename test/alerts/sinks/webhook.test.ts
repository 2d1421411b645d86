// The webhook sink against a real HTTP server on 127.0.0.1: events arrive in order, batched; a server
// that answers 503 gets the same batch again after a backoff; a 400 drops the batch at once, counted.
import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { webhookSink } from "../../../src/alerts/sinks/webhook.js";
import type { AlertEvent } from "../../../src/alerts/lifecycle.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server answering each request with the next status of `statuses` (the last one repeats). */
async function hook(statuses: number[]): Promise<{ url: string; bodies: { events: AlertEvent[] }[] }> {
  const bodies: { events: AlertEvent[] }[] = [];
  let n = 0;
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      res.writeHead(statuses[Math.min(n++, statuses.length - 1)]).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

const event = (id: string): AlertEvent => ({ type: "firing", at: 1, alert: { id, rule: "r", device: "d", channel: "c", state: "firing", severity: "warning", summary: "", value: 1, worst: 1, breaches: 1, since: 1, lastBreach: 1, escalated: false } });
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("webhookSink", () => {
  it("retries a batch the server could not take, then delivers everything in order", async () => {
    const { url, bodies } = await hook([503, 503, 200]);
    const sink = webhookSink({ url, headers: { "x-token": "t" }, events: ["firing"], maxAttempts: 5, timeoutSeconds: 2 });
    sink.push(event("a"));
    sink.push(event("b"));
    await until(() => sink.stats.delivered === 2);
    expect(sink.stats).toMatchObject({ delivered: 2, failures: 2, dropped: 0, queued: 0 });
    expect(bodies.map((b) => b.events.map((e) => e.alert.id))).toEqual([["a", "b"], ["a", "b"], ["a", "b"]]);
    await sink.close();
  });

  it("drops a batch the server refuses for good, and goes on with the next", async () => {
    const { url, bodies } = await hook([400, 200]);
    const sink = webhookSink({ url, headers: {}, events: ["firing"], maxAttempts: 5, timeoutSeconds: 2 });
    sink.push(event("a"));
    await until(() => sink.stats.dropped === 1);
    sink.push(event("b"));
    await until(() => sink.stats.delivered === 1);
    expect(sink.stats).toMatchObject({ delivered: 1, failures: 1, dropped: 1 });
    expect(bodies.map((b) => b.events[0].alert.id)).toEqual(["a", "b"]);
    await sink.close();
  });

  it("gives up after maxAttempts when nothing listens", async () => {
    const sink = webhookSink({ url: "http://127.0.0.1:9/hook", headers: {}, events: ["firing"], maxAttempts: 2, timeoutSeconds: 1 });
    sink.push(event("a"));
    await until(() => sink.stats.dropped === 1);
    expect(sink.stats).toMatchObject({ delivered: 0, failures: 2, dropped: 1 });
    expect(sink.lastError).toBeTruthy();
    await sink.close();
  });
});

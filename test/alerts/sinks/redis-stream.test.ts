// The Redis stream sink against a redis-server of its own: one entry per event, with its fields.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Redis } from "ioredis";
import { redisStreamSink } from "../../../src/alerts/sinks/redis-stream.js";
import type { AlertEvent } from "../../../src/alerts/lifecycle.js";
import { redisServerForTests, startRedisServer, type RedisServer } from "../../support/redis-server.js";

const redis = redisServerForTests("alert Redis stream sink tests");
const event = (id: string, type: AlertEvent["type"]): AlertEvent => ({ type, at: 1, alert: { id, rule: "hot", device: "press-1", channel: "temp", state: "firing", severity: "critical", summary: "", value: 1, worst: 1, breaches: 1, since: 1, lastBreach: 1, escalated: false } });

describe.runIf("binary" in redis || redis.mustFail)("redisStreamSink on a redis-server of its own", () => {
  let server: RedisServer;
  beforeAll(async () => {
    if (!("binary" in redis)) throw new Error(redis.missing);
    server = await startRedisServer(redis.binary);
  });
  afterAll(async () => server?.stop());

  it("adds one stream entry per event, trimmed to about maxLen", async () => {
    const sink = redisStreamSink({ key: "alerts", maxLen: 1000, events: ["firing", "resolved"] }, server.url);
    sink.queue.push(event("a", "firing"));
    sink.queue.push(event("a", "resolved"));
    for (let i = 0; i < 200 && sink.queue.stats.delivered < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const client = new Redis(server.url);
    const entries = await client.xrange("alerts", "-", "+");
    await client.quit();
    expect(entries.map(([, fields]) => [fields[1], fields[3], fields[11]])).toEqual([["firing", "a", "critical"], ["resolved", "a", "critical"]]);
    expect(JSON.parse(entries[0][1][15])).toMatchObject({ type: "firing", alert: { id: "a", device: "press-1" } });
    await sink.close();
  });
});

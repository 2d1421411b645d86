// RedisStreamsBus against a redis-server of its own (test/support/redis-server.ts): the Bus conformance
// suite, then what only Redis has: the bytes stored, trimming, the publish bound, protocols, recovery.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchToIPC } from "../../src/pipeline/arrow-batch.js";
import { streamName, type StreamId } from "../../src/pipeline/bus.js";
import { RedisStreamsBus, type RedisStreamsBusOptions } from "../../src/pipeline/redis-streams-bus.js";
import { redisServerForTests, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { awkwardBatch, busConformance, expectSameBatch, taggedBatch } from "./bus.conformance.js";

const redis = redisServerForTests("RedisStreamsBus tests");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const s = (lane: StreamId["lane"], partition = 0): StreamId => ({ region: "eu", partition, lane });

// Without redis-server the suite is skipped (one loud line says what to install), or fails under CI=true.
describe.runIf("binary" in redis || redis.mustFail)("RedisStreamsBus on a redis-server of its own", () => {
  let server: RedisServer;
  let admin: Redis;
  const buses: RedisStreamsBus[] = [];
  /** A bus on a clean server, closed after the test file. */
  const open = async (options?: RedisStreamsBusOptions, connect?: () => Redis): Promise<RedisStreamsBus> => {
    const bus = new RedisStreamsBus(connect ?? server.url, options);
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    if (!("binary" in redis)) throw new Error(redis.missing);
    server = await startRedisServer(redis.binary);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await admin?.quit();
    await server?.stop();
  });

  busConformance("RedisStreamsBus", async () => {
    await admin.flushall();
    const bus = new RedisStreamsBus(server.url);
    return { bus, cleanup: () => bus.close() };
  });

  describe("RedisStreamsBus", () => {
    it("stores each batch as the Arrow IPC bytes of the batch, untouched, in the field `arrow`", async () => {
      await admin.flushall();
      const bus = await open();
      const stream = s("critical");
      const id = await bus.publish(stream, awkwardBatch());
      const [[storedId, fields]] = await admin.xrangeBuffer(streamName(stream), "-", "+");
      expect(storedId.toString()).toBe(id);
      expect(fields.length).toBe(2);
      expect(fields[0].toString()).toBe("arrow");
      expect(Buffer.compare(fields[1], Buffer.from(batchToIPC(awkwardBatch())))).toBe(0);
    });

    it("trims what every group has acked and keeps what a group still needs", async () => {
      await admin.flushall();
      const bus = await open();
      const stream = s("standard");
      const key = streamName(stream);
      const fast = { group: "archive", name: "w" };
      const slow = { group: "analytics", name: "w" };
      await bus.read(fast, [stream], 10, 0);
      await bus.read(slow, [stream], 10, 0);
      for (const tag of [1, 2, 3, 4]) await bus.publish(stream, taggedBatch(tag));
      const x = await bus.read(fast, [stream], 10, 0);
      await bus.ack(fast.group, stream, x.map((e) => e.id));
      expect(await admin.xlen(key)).toBe(4); // analytics has not read them
      const y = await bus.read(slow, [stream], 10, 0);
      await bus.ack(slow.group, stream, [y[1].id, y[2].id, y[3].id]);
      expect(await admin.xlen(key)).toBe(4); // the first is still pending for analytics
      await bus.ack(slow.group, stream, [y[0].id]);
      expect(await admin.xlen(key)).toBe(0);
      // Trimmed away, yet every later entry still arrives, and a group made now starts at what is held.
      await bus.publish(stream, taggedBatch(5));
      expect((await bus.read(slow, [stream], 10, 0)).map((e) => e.batch.values[0])).toEqual([5]);
      expect((await bus.read({ group: "late", name: "w" }, [stream], 10, 0)).map((e) => e.batch.values[0])).toEqual([5]);
      expect(await bus.backlog("archive", stream)).toBe(1);
    });

    it("with coalesce, merges what is published to a stream while two publications are on their way into one entry, in order", async () => {
      await admin.flushall();
      const bus = await open({ coalesce: true });
      const stream = s("standard");
      const other = s("standard", 1);
      const worker = { group: "archive", name: "w" };
      await bus.read(worker, [stream, other], 10, 0);
      const ids = await Promise.all([1, 2, 3, 4, 5].map((tag) => bus.publish(stream, taggedBatch(tag))).concat(bus.publish(other, taggedBatch(9))));
      // The first two went out alone; the three published meanwhile went out together; the other stream did not wait.
      expect(new Set(ids.slice(0, 5)).size).toBe(3);
      expect(ids[2]).toBe(ids[4]);
      expect(await admin.xlen(streamName(stream))).toBe(3);
      const entries = await bus.read(worker, [stream], 10, 0);
      expect(entries.map((e) => [...e.batch.values])).toEqual([
        [1, 1.1, 1.2],
        [2, 2.1, 2.2],
        [3, 3.1, 3.2, 4, 4.1, 4.2, 5, 5.1, 5.2],
      ]);
      expect(entries[2].batch.devices).toEqual(["press-3", "press-4", "press-5"]);
      expect([...(await bus.read(worker, [other], 10, 0))[0].batch.values]).toEqual([9, 9.1, 9.2]);
      // Idle, each publish is an entry of its own.
      await bus.publish(stream, taggedBatch(6));
      await bus.publish(stream, taggedBatch(7));
      expect(await admin.xlen(streamName(stream))).toBe(5);
    });

    it("makes publish wait while a stream holds maxBacklog entries, and go on once they are acked", async () => {
      await admin.flushall();
      const bus = await open({ maxBacklog: 2, backoffMs: [2, 20] });
      const stream = s("bulk");
      const worker = { group: "archive", name: "w" };
      await bus.read(worker, [stream], 10, 0);
      await bus.publish(stream, taggedBatch(1));
      await bus.publish(stream, taggedBatch(2));
      let third: string | undefined;
      const publishing = bus.publish(stream, taggedBatch(3)).then((id) => (third = id));
      await sleep(200);
      expect(third).toBeUndefined();
      expect(await admin.xlen(streamName(stream))).toBe(2);
      const entries = await bus.read(worker, [stream], 10, 0);
      expect(entries.map((e) => e.batch.values[0])).toEqual([1, 2]);
      await bus.ack(worker.group, stream, entries.map((e) => e.id));
      await publishing;
      expect(third).toBeDefined();
      expect((await bus.read(worker, [stream], 10, 0)).map((e) => e.batch.values[0])).toEqual([3]);
    });

    it("keeps every batch of a stream no group reads: publish waits rather than drop", async () => {
      await admin.flushall();
      const bus = await open({ maxBacklog: 3, backoffMs: [2, 10] });
      const stream = s("premium");
      for (const tag of [1, 2, 3]) await bus.publish(stream, taggedBatch(tag));
      const waiting = Promise.race([bus.publish(stream, taggedBatch(4)).then(() => "published"), sleep(150).then(() => "waiting")]);
      expect(await waiting).toBe("waiting");
      expect(await admin.xlen(streamName(stream))).toBe(3);
      // A group made now gets all three.
      expect((await bus.read({ group: "g", name: "w" }, [stream], 10, 0)).map((e) => e.batch.values[0])).toEqual([1, 2, 3]);
    });

    it("ends a blocking read with no entries when the bus closes", async () => {
      await admin.flushall();
      const bus = new RedisStreamsBus(server.url);
      const stream = s("standard", 7);
      await bus.read({ group: "g", name: "w" }, [stream], 1, 0);
      const started = Date.now();
      const reading = bus.read({ group: "g", name: "w" }, [stream], 1, 20_000);
      await sleep(100);
      await bus.close();
      expect(await reading).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(bus.publish(stream, taggedBatch(1))).rejects.toThrow(/closed/);
    });

    for (const [protocol, options] of [
      ["RESP2", { protocol: 2 }],
      ["RESP3 mapped to objects", { protocol: 3, replyMapping: "resp3" }],
    ] as const) {
      it(`reads, blocks and claims over a ${protocol} connection`, async () => {
        await admin.flushall();
        const bus = await open({}, () => new Redis(server.url, options));
        const [critical, bulk] = [s("critical", 1), s("bulk", 1)];
        const worker = { group: "g", name: "w" };
        expect(await bus.read(worker, [critical, bulk], 10, 0)).toEqual([]);
        const reading = bus.read(worker, [critical, bulk], 10, 10_000);
        await sleep(50);
        await bus.publish(bulk, awkwardBatch());
        const [got] = await reading;
        expect(got.stream).toEqual(bulk);
        expectSameBatch(got.batch, awkwardBatch());
        const [claimed] = await bus.claim({ group: "g", name: "v" }, bulk, 0, 10);
        expect([claimed.id, claimed.deliveries]).toEqual([got.id, 2]);
        await bus.ack("g", bulk, [got.id]);
        expect(await bus.backlog("g", bulk)).toBe(0);
      });
    }

    it("hands out what a woken read got beyond its count on the consumer's next read, unless claimed meanwhile", async () => {
      await admin.flushall();
      // Redis ≥ 7.2 re-runs a woken XREADGROUP over all its streams, each up to COUNT. Redis 7.0 does
      // not, so the blocking connection plays 7.2: it waits, then reads without BLOCK.
      let connections = 0;
      const bus = await open({}, () => {
        const client = new Redis(server.url);
        if (connections++ === 0) return client;
        const callBuffer = client.callBuffer.bind(client);
        client.callBuffer = (async (...args: (string | number | Buffer)[]) => {
          const at = args.indexOf("BLOCK");
          if (args[0] === "XREADGROUP" && at > 0) {
            await sleep(150);
            args.splice(at, 2);
          }
          return callBuffer(...(args as [string, ...(string | number | Buffer)[]]));
        }) as typeof client.callBuffer;
        return client;
      });
      const [critical, bulk] = [s("critical", 3), s("bulk", 3)];
      const worker = { group: "g", name: "w" };
      expect(await bus.read(worker, [critical, bulk], 2, 0)).toEqual([]);
      const reading = bus.read(worker, [critical, bulk], 2, 10_000);
      await sleep(30);
      for (const tag of [31, 32]) await bus.publish(bulk, taggedBatch(tag));
      for (const tag of [11, 12]) await bus.publish(critical, taggedBatch(tag));
      expect((await reading).map((e) => e.batch.values[0])).toEqual([11, 12]);
      // 31 and 32 are pending to w already; a claim moves 32 to v first.
      await sleep(20);
      const [moved] = await bus.claim({ group: "g", name: "v" }, bulk, 10, 1);
      expect(moved.batch.values[0]).toBe(31);
      const next = await bus.read(worker, [critical, bulk], 10, 0);
      expect(next.map((e) => [e.batch.values[0], e.deliveries])).toEqual([[32, 1]]);
      expect(await bus.read(worker, [critical, bulk], 10, 0)).toEqual([]);
    });

    it("makes a group again when its stream was deleted, and its scripts again after SCRIPT FLUSH", async () => {
      await admin.flushall();
      const bus = await open();
      const stream = s("standard", 2);
      const worker = { group: "g", name: "w" };
      expect(await bus.read(worker, [stream], 10, 0)).toEqual([]);
      await admin.del(streamName(stream));
      await admin.script("FLUSH");
      await bus.publish(stream, taggedBatch(9));
      expect((await bus.read(worker, [stream], 10, 0)).map((e) => e.batch.values[0])).toEqual([9]);
    });
  });
});

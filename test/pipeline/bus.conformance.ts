// The one conformance suite of the Bus contract (src/pipeline/bus.ts), run against every bus. Only the
// contract is used: publish is never awaited before a read (the memory bus resolves it on ack); a
// batch has landed when the backlog counts it.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";
import { type Bus, type BusEntry, type Lane, type StreamId } from "../../src/pipeline/bus.js";
import { bitDifference, wordsOf } from "../support/bits.js";

/** A bus to test and how to dispose of it; `make` is called once per test. */
export type MakeBus = () => Promise<{ bus: Bus; cleanup(): Promise<void> }>;

const stream = (lane: Lane, partition = 0): StreamId => ({ region: "eu", partition, lane });

/** A small batch recognisable by its tag (the first value). */
export function taggedBatch(tag: number, rows = 3): FlaggedColumns {
  const values = new Float64Array(rows);
  const timestamps = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    values[i] = tag + i / 10;
    timestamps[i] = 1_700_000_000_000_000 + tag * 1000 + i;
  }
  return {
    devices: [`press-${tag}`],
    channels: ["temperature", "pressure"],
    device: new Uint32Array(rows),
    channel: Uint32Array.from({ length: rows }, (_, i) => i % 2),
    timestamps,
    values,
    flags: Uint8Array.from({ length: rows }, (_, i) => i & 7),
  };
}

const tagOf = (e: BusEntry): number => e.batch.values[0];

/** Everything a bus must carry unchanged: NaN payloads, −0, ±∞, subnormals, extreme µs, any text. */
export function awkwardBatch(): FlaggedColumns {
  const values = new Float64Array(10);
  wordsOf(values).set([
    0x7ff0000000000001n, // signalling NaN
    0xfff8000000000000n, // negative quiet NaN
    0x7ff8deadbeef0001n, // quiet NaN with a payload
    0x8000000000000000n, // −0
    0x0000000000000001n, // smallest subnormal
    0x7ff0000000000000n, // +∞
    0xfff0000000000000n, // −∞
    0x3ff0000000000001n, // 1 + ε
    0x7fefffffffffffffn, // largest finite
    0x0000000000000000n,
  ]);
  return {
    devices: ["пресс-17", "炉🔥", "e\u0301", "", "a".repeat(300)],
    channels: ["température", "压力"],
    device: Uint32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]),
    channel: Uint32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
    timestamps: Float64Array.from([2 ** 53 - 1, -(2 ** 53 - 1), 0, 1, -1, 1_700_000_000_123_456, 4_102_444_800_000_000, 2 ** 32, -(2 ** 32), 2 ** 32 - 1]),
    values,
    flags: Uint8Array.from([0, 1, 2, 3, 4, 7, 128, 254, 255, 9]),
  };
}

export function expectSameBatch(actual: FlaggedColumns, expected: FlaggedColumns): void {
  expect([...actual.devices]).toEqual([...expected.devices]);
  expect([...actual.channels]).toEqual([...expected.channels]);
  expect([...actual.device]).toEqual([...expected.device]);
  expect([...actual.channel]).toEqual([...expected.channel]);
  expect(bitDifference(actual.timestamps, expected.timestamps)).toBeUndefined();
  expect(bitDifference(actual.values, expected.values)).toBeUndefined();
  expect([...actual.flags]).toEqual([...expected.flags]);
}

/** Ids compared as the numbers in them ("7" < "10", "5-1" < "5-2"). */
function idBefore(a: string, b: string): boolean {
  const pa = a.split(/\D+/).filter(Boolean).map(BigInt);
  const pb = b.split(/\D+/).filter(Boolean).map(BigInt);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? -1n;
    const y = pb[i] ?? -1n;
    if (x !== y) return x < y;
  }
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `group`'s backlog of `s` counts `n` entries (published batches have landed). */
async function landed(bus: Bus, group: string, s: StreamId, n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const backlog = await bus.backlog(group, s);
    if (backlog >= n) return;
    if (Date.now() > deadline) throw new Error(`backlog of ${group} is ${backlog}, expected ${n}`);
    await sleep(5);
  }
}

/** Starts publishing (not awaited: a bus may resolve only on ack) and waits until the batches landed. */
async function publishAll(bus: Bus, s: StreamId, tags: number[], group = "workers"): Promise<void> {
  const before = await bus.backlog(group, s);
  for (const tag of tags) void bus.publish(s, taggedBatch(tag)).catch(() => {});
  await landed(bus, group, s, before + tags.length);
}

export function busConformance(name: string, make: MakeBus): void {
  describe(`${name} keeps the Bus contract`, () => {
    let bus: Bus;
    let cleanup: () => Promise<void>;
    const a = { group: "workers", name: "a" };
    const b = { group: "workers", name: "b" };

    beforeEach(async () => {
      ({ bus, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("delivers each entry once per group, in publish order within a stream", async () => {
      const s = stream("standard");
      await publishAll(bus, s, [0, 1, 2, 3, 4]);
      const first = await bus.read(a, [s], 2, 0);
      const rest = await bus.read(b, [s], 10, 0);
      expect(first.map(tagOf)).toEqual([0, 1]);
      expect(rest.map(tagOf)).toEqual([2, 3, 4]);
      const all = [...first, ...rest];
      for (let i = 1; i < all.length; i++) expect(idBefore(all[i - 1].id, all[i].id), `${all[i - 1].id} before ${all[i].id}`).toBe(true);
      for (const e of all) {
        expect(e.stream).toEqual(s);
        expect(e.deliveries).toBe(1);
      }
      expect(await bus.read(a, [s], 10, 0)).toEqual([]);
      expect(await bus.read(b, [s], 10, 0)).toEqual([]);
    });

    it("drains earlier streams in the list first (lane priority) and delivers no more than count", async () => {
      const [critical, premium, standard, bulk] = (["critical", "premium", "standard", "bulk"] as const).map((lane) => stream(lane));
      await publishAll(bus, bulk, [30, 31, 32]);
      await publishAll(bus, standard, [20, 21]);
      await publishAll(bus, critical, [10, 11]);
      const lanes = [critical, premium, standard, bulk];
      const first = await bus.read(a, lanes, 3, 0);
      expect(first.map(tagOf)).toEqual([10, 11, 20]);
      expect(first.map((e) => e.stream.lane)).toEqual(["critical", "critical", "standard"]);
      // Nothing of the bulk lane was delivered (and left pending) by that read.
      expect(await bus.claim(b, bulk, 0, 10)).toEqual([]);
      const second = await bus.read(a, lanes, 10, 0);
      expect(second.map(tagOf)).toEqual([21, 30, 31, 32]);
    });

    it("re-delivers an unacked entry through claim() once it has been idle min-idle ms, counting deliveries, and not before", async () => {
      const s = stream("premium", 3);
      await publishAll(bus, s, [7]);
      const [delivered] = await bus.read(a, [s], 1, 0);
      expect(delivered.deliveries).toBe(1);
      expect(await bus.claim(b, s, 400, 10)).toEqual([]);
      await sleep(500);
      const claimed = await bus.claim(b, s, 400, 10);
      expect(claimed.map((e) => [e.id, tagOf(e), e.deliveries])).toEqual([[delivered.id, 7, 2]]);
      expectSameBatch(claimed[0].batch, taggedBatch(7));
      // Claiming makes the entry fresh again for its new owner.
      expect(await bus.claim(a, s, 400, 10)).toEqual([]);
      await sleep(500);
      expect((await bus.claim(a, s, 400, 10)).map((e) => e.deliveries)).toEqual([3]);
      await bus.ack(a.group, s, [delivered.id]);
      expect(await bus.backlog(a.group, s)).toBe(0);
    });

    it("never delivers acked entries again, and the backlog falls to 0", async () => {
      const s = stream("standard", 1);
      await publishAll(bus, s, [1, 2, 3]);
      expect(await bus.backlog(a.group, s)).toBe(3);
      const entries = await bus.read(a, [s], 10, 0);
      expect(await bus.backlog(a.group, s)).toBe(3);
      await bus.ack(a.group, s, [entries[0].id, entries[1].id]);
      expect(await bus.backlog(a.group, s)).toBe(1);
      await bus.ack(a.group, s, [entries[2].id]);
      expect(await bus.backlog(a.group, s)).toBe(0);
      expect(await bus.read(a, [s], 10, 0)).toEqual([]);
      expect(await bus.claim(b, s, 0, 10)).toEqual([]);
      // Acking again changes nothing.
      await bus.ack(a.group, s, [entries[0].id]);
      expect(await bus.backlog(a.group, s)).toBe(0);
    });

    it("gives every entry to each of two groups", async () => {
      const s = stream("bulk", 2);
      const archive = { group: "archive", name: "w1" };
      const analytics = { group: "analytics", name: "w1" };
      // Both groups exist before the batches are published.
      expect(await bus.read(archive, [s], 10, 0)).toEqual([]);
      expect(await bus.read(analytics, [s], 10, 0)).toEqual([]);
      await publishAll(bus, s, [1, 2, 3], "archive");
      const x = await bus.read(archive, [s], 10, 0);
      expect(x.map(tagOf)).toEqual([1, 2, 3]);
      await bus.ack(archive.group, s, x.map((e) => e.id));
      expect(await bus.backlog(archive.group, s)).toBe(0);
      expect(await bus.backlog(analytics.group, s)).toBe(3);
      const y = await bus.read(analytics, [s], 10, 0);
      expect(y.map(tagOf)).toEqual([1, 2, 3]);
      expect(y.map((e) => e.id)).toEqual(x.map((e) => e.id));
      for (let i = 0; i < 3; i++) expectSameBatch(y[i].batch, taggedBatch(i + 1));
      await bus.ack(analytics.group, s, y.map((e) => e.id));
      expect(await bus.backlog(analytics.group, s)).toBe(0);
    });

    it("carries batches bit-exactly (NaN payloads, −0, ±∞, large µs timestamps, unicode device names)", async () => {
      const s = stream("critical", 5);
      const batch = awkwardBatch();
      void bus.publish(s, batch).catch(() => {});
      await landed(bus, a.group, s, 1);
      const [got] = await bus.read(a, [s], 1, 0);
      expectSameBatch(got.batch, awkwardBatch());
      await bus.ack(a.group, s, [got.id]);
    });

    it("carries a batch's edge-compressed blocks with it", async () => {
      const s = stream("standard", 6);
      const blocks = { rows: Uint32Array.of(0, 2), counts: Uint32Array.of(2, 1), offsets: Uint32Array.of(0, 3, 5), bytes: Uint8Array.of(1, 2, 3, 4, 5) };
      void bus.publish(s, { ...taggedBatch(7, 3), blocks }).catch(() => {});
      await landed(bus, a.group, s, 1);
      const [got] = await bus.read(a, [s], 1, 0);
      expectSameBatch(got.batch, taggedBatch(7, 3));
      expect(got.batch.blocks).toEqual(blocks);
      await bus.ack(a.group, s, [got.id]);
    });

    it("waits up to blockMs when nothing is there", async () => {
      const s = stream("standard", 9);
      const started = Date.now();
      expect(await bus.read(a, [s], 10, 300)).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it("returns from a blocking read as soon as a batch is published to any of its streams", async () => {
      const critical = stream("critical", 4);
      const bulk = stream("bulk", 4);
      // The group exists before the read blocks (as it would for a worker that read before).
      expect(await bus.read(a, [critical, bulk], 10, 0)).toEqual([]);
      const started = Date.now();
      const reading = bus.read(a, [critical, bulk], 10, 10_000);
      await sleep(100);
      void bus.publish(bulk, taggedBatch(42)).catch(() => {});
      const got = await reading;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(got.map((e) => [e.stream.lane, tagOf(e), e.deliveries])).toEqual([["bulk", 42, 1]]);
      await bus.ack(a.group, bulk, [got[0].id]);
    });
  });
}

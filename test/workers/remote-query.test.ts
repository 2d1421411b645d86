// Scale-out queries over a real redis-server: workers answer with the parts of the partitions they
// own (real archives), the asker merges one part per partition and says which partitions are missing.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Archive } from "../../src/archive/archive.js";
import { QueryResponder, RemoteQuery, type PartitionPart } from "../../src/workers/remote-query.js";
import type { Query } from "../../src/query/query.js";
import { redisServerForTests, startRedisServer } from "../support/redis-server.js";

const redis = redisServerForTests("remote queries");
const T0 = Date.UTC(2024, 4, 1) * 1000;
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function partitionArchive(device: string, count: number): Promise<Archive> {
  const dir = await mkdtemp(join(tmpdir(), "iotpipe-remote-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const archive = await Archive.open(dir);
  cleanups.push(() => archive.close());
  await archive.append({
    devices: [device],
    channels: ["temp"],
    device: new Uint32Array(count),
    channel: new Uint32Array(count),
    timestamps: Float64Array.from({ length: count }, (_, i) => T0 + i * 1e6),
    values: Float64Array.from({ length: count }, (_, i) => i),
  });
  return archive;
}

const query: Query = { channel: "temp", from: T0, to: T0 + 3.6e9, aggregates: ["count", "sum"], groupBy: "device" };

describe.runIf("binary" in redis || redis.mustFail)("queries in scale-out mode", () => {
  it("merge one part per partition from every worker, and name the partitions nobody answered", async () => {
    if (!("binary" in redis)) throw new Error(redis.missing);
    const server = await startRedisServer(redis.binary);
    cleanups.push(() => server.stop());
    const admin = new Redis(server.url);
    cleanups.push(() => admin.disconnect());
    // Partitions 0 and 1 with worker a, 2 with b (which also answers for 1, as during a handover),
    // 3 held by a worker that never answers, 4 … 7 held by nobody.
    const [p0, p1, p2] = [await partitionArchive("press-0", 10), await partitionArchive("press-1", 20), await partitionArchive("press-2", 30)];
    await admin.mset("iotpipe:eu:lease:p0", "a", "iotpipe:eu:lease:p1", "a", "iotpipe:eu:lease:p2", "b", "iotpipe:eu:lease:p3", "silent");
    const partsOf = (owned: [number, Archive][]) => async (q: Query, dryRun: boolean): Promise<PartitionPart[]> =>
      Promise.all(owned.map(async ([partition, archive]) => ({ partition, part: await archive.queryPart(q, dryRun) })));
    const healthOf = (partitions: number[], devices: string[]) => () => ({
      partitions,
      devices: devices.map((device, i) => ({ device, score: 90 - 10 * i, issues: [], anomaly: 0, lastSeen: 0 })),
    });
    const a = await QueryResponder.start(server.url, "eu", { parts: partsOf([[0, p0], [1, p1]]), health: healthOf([0, 1], ["press-0", "press-1"]) });
    const b = await QueryResponder.start(server.url, "eu", { parts: partsOf([[1, p1], [2, p2]]), health: healthOf([1, 2], ["press-1", "press-2"]) });
    cleanups.push(() => a.close(), () => b.close());
    const remote = await RemoteQuery.start(server.url, "eu", 8, 500);
    cleanups.push(() => remote.close());

    const answer = await remote.query(query);
    const byDevice = Object.fromEntries(answer.groups.map((g) => [g.key.device, g.rows[0].values]));
    expect(byDevice).toEqual({ "press-0": { count: 10, sum: 45 }, "press-1": { count: 20, sum: 190 }, "press-2": { count: 30, sum: 435 } });
    expect(answer.warnings).toEqual([
      "partitions 4, 5, 6, 7 have no worker: their data is not in this answer",
      "partitions 3 did not answer within 500 ms: their data is not in this answer",
    ]);
    await expect(remote.query({ ...query, from: 2, to: 1 })).rejects.toThrow();

    // The fleet's health the same way: each device once, least healthy first, missing partitions named.
    const health = await remote.health(Date.now() * 1000);
    expect(health.devices.map((d) => d.device).sort()).toEqual(["press-0", "press-1", "press-2"]);
    expect(health.devices.map((d) => d.score)).toEqual([...health.devices.map((d) => d.score)].sort((x, y) => x - y));
    expect(health.warnings).toHaveLength(2);
  });
});

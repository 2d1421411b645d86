// Scale-out mode, when the built CLI offers it: a Redis server, `iotpipe serve --redis URL` (ingest
// only: acks once a batch is in Redis) and `iotpipe worker` processes archiving from Redis Streams
// (scale-out-node.ts), fed the gateway-binary load. Reports the acked rate, and separately the rate
// the workers made durable in their archives during the window.
import { emitMeasured, quantiles, round, type Emit } from "./emit.js";
import { histogramQuantiles, serverMetrics } from "./iotpipe-server.js";
import { measureLoad } from "./measure.js";
import type { LoadScenario } from "./scenarios.js";
import { startScaleOutNode } from "./scale-out-node.js";
import { BENCH_SEED } from "../datasets/prng.js";

const MiB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runRedisScenario(s: LoadScenario, workers: number, emit: Emit, progress: (text: string) => void, profileDir: string | undefined): Promise<void> {
  const node = await startScaleOutNode({ workers, profileDir, progress });
  const server = node.server;
  try {
    const stored = () => node.stored();
    // Read at the window's edges (a /metrics read each, a millisecond or so), awaited after it.
    let storedStart = Promise.resolve(0);
    let storedEnd = Promise.resolve(0);
    let windowStart = 0;
    let windowEnd = 0;
    const others: Record<string, number> = { redis: node.redisPid };
    node.workerPids.forEach((pid, i) => (others[`worker${i}`] = pid));
    const m = await measureLoad(s, `ws://127.0.0.1:${server.port}/v1/ingest`, server.pid, BENCH_SEED, undefined, {
      others,
      atWindowStart: () => {
        storedStart = stored();
        windowStart = performance.now();
      },
      atWindowEnd: () => {
        storedEnd = stored();
        windowEnd = performance.now();
      },
    });
    const counters = await serverMetrics(server.port);
    // The workers catch up with what was acked (the backlog in Redis), or give up after a minute.
    const accepted = counters.iotpipe_readings_accepted_total ?? 0;
    const catchUpStart = performance.now();
    while ((await stored()) < accepted && performance.now() - catchUpStart < 60_000) await sleep(250);
    const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
    const archived = ((await storedEnd) - (await storedStart)) / ((windowEnd - windowStart) / 1000);
    const archivedTotal = await stored();
    const latency = await histogramQuantiles(node.workerMetrics, ["iotpipe_archive_append_seconds", "iotpipe_wal_fsync_seconds"], [0.5, 0.99]);
    const workerCores = Object.entries(m.others).filter(([k]) => k.startsWith("worker")).reduce((n, [, o]) => n + o.cores, 0);
    const workerRss = Object.entries(m.others).filter(([k]) => k.startsWith("worker")).reduce((n, [, o]) => n + o.rss, 0);
    const context = { load: "max", mode: "redis-streams" };
    emitMeasured(emit, s, m, context, {
      durable: "acked once XADDed to Redis (append-only file, fsync every second); archived by the worker processes afterwards",
      worker_processes: workers,
      server_readings_accepted_total: accepted,
      archived_total: archivedTotal,
      archive_catch_up_seconds: round(catchUpSeconds, 2),
      workers_append_ms: quantiles(latency.iotpipe_archive_append_seconds, "workers: merged stream entries handed to the archive → durable, whole run, all workers"),
      workers_wal_fsync_ms: quantiles(latency.iotpipe_wal_fsync_seconds, "workers: the WAL fsync that made an append durable, whole run, all workers"),
    });
    emit("archived_readings_per_s", round(archived, 0), "readings/s", {
      ...context,
      measured: "Σ workers' iotpipe_worker_readings_stored_total over the window ÷ window (their /metrics)",
      worker_processes: workers,
      archive_catch_up_seconds_after_window: round(catchUpSeconds, 2),
      caught_up: archivedTotal >= accepted,
    });
    emit("workers_cpu_cores", round(workerCores, 2), "cores", { ...context, worker_processes: workers });
    emit("redis_cpu_cores", round(m.others.redis.cores, 2), "cores", context);
    emit("workers_rss_mb", round(workerRss / MiB, 1), "MiB", { ...context, worker_processes: workers });
    emit("redis_rss_mb", round(m.others.redis.rss / MiB, 1), "MiB", context);
  } finally {
    await node.stop();
  }
}

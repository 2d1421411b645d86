// Scale-out mode, when the built CLI offers it: a Redis server (temporary directory, append-only file
// fsynced every second), `iotpipe serve --redis URL` (ingest only: acks once a batch is in Redis) and
// `iotpipe worker` processes archiving from Redis Streams, fed the gateway-binary load. Reports the
// acked rate, and separately the rate the workers made durable in their archives during the window.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitMeasured, round, type Emit } from "./emit.js";
import { CLI, serverMetrics, startIotpipeServer } from "./iotpipe-server.js";
import { exitOf } from "./launch.js";
import { measureLoad } from "./measure.js";
import type { LoadScenario } from "./scenarios.js";
import { BENCH_SEED } from "../datasets/prng.js";
import { freePort } from "../free-port.js";

const MiB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why scale-out mode cannot be measured here, or undefined when it can. */
export function redisUnsupported(): string | undefined {
  const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8", timeout: 20_000 });
  const text = `${help.stdout}${help.stderr}`;
  if (!/--redis/.test(text) || !/\bworker\b/.test(text)) {
    return "`iotpipe --help` offers no `--redis URL` / `worker` command yet: the server only runs the in-process MemoryBus";
  }
  if (spawnSync("bash", ["-c", "command -v redis-server"]).status !== 0) return "redis-server is not installed (the bench does not install it)";
  return undefined;
}


/** A child whose stdout is kept (last 8 kB) and watched for a line. */
function watched(child: ChildProcess): { output: () => string; waitFor: (re: RegExp, ms: number, what: string) => Promise<RegExpExecArray> } {
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8192));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    output: () => output,
    async waitFor(re, ms, what) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(output);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`${what}: no ${re} in ${ms} ms:\n${output}`);
        await sleep(50);
      }
    },
  };
}

/** Readings a worker has stored: the last "readings stored N" of its status line. */
function storedBy(output: string): number {
  const all = [...output.matchAll(/readings stored (\d+)/g)];
  return all.length > 0 ? Number(all[all.length - 1][1]) : 0;
}

export async function runRedisScenario(s: LoadScenario, workers: number, emit: Emit, progress: (text: string) => void, profileDir: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-ingest-redis-"));
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.kill("SIGKILL"));
  process.once("exit", killAll);
  try {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    mkdirSync(join(dir, "redis"));
    const redis = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", join(dir, "redis"), "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(redis);
    await watched(redis).waitFor(/Ready to accept connections/, 20_000, "redis-server");
    progress(`redis: redis-server on ${port}, serve --redis, ${workers} worker process(es)`);
    const dataDir = join(dir, "archive");
    const workerProcs = Array.from({ length: workers }, (_, i) => {
      const args = [CLI, "worker", "--redis", url, "--data", dataDir, "--name", `bench-w${i}`];
      if (profileDir) args.unshift("--cpu-prof", "--cpu-prof-dir", profileDir);
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return { child, ...watched(child) };
    });
    await Promise.all(workerProcs.map((w, i) => w.waitFor(/archiving from/, 30_000, `worker ${i}`)));
    const server = await startIotpipeServer({ args: ["--redis", url], profileDir });
    try {
      const stored = () => workerProcs.reduce((n, w) => n + storedBy(w.output()), 0);
      let storedStart = 0;
      let storedEnd = 0;
      let windowStart = 0;
      let windowEnd = 0;
      const others: Record<string, number> = { redis: redis.pid! };
      workerProcs.forEach((w, i) => (others[`worker${i}`] = w.child.pid!));
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
      while (stored() < accepted && performance.now() - catchUpStart < 60_000) await sleep(250);
      const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
      // Status lines come once a second: the window's count is good to about a second of archiving.
      const archived = (storedEnd - storedStart) / ((windowEnd - windowStart) / 1000);
      const workerCores = Object.entries(m.others).filter(([k]) => k.startsWith("worker")).reduce((n, [, o]) => n + o.cores, 0);
      const workerRss = Object.entries(m.others).filter(([k]) => k.startsWith("worker")).reduce((n, [, o]) => n + o.rss, 0);
      const context = { load: "max", mode: "redis-streams" };
      emitMeasured(emit, s, m, context, {
        durable: "acked once XADDed to Redis (append-only file, fsync every second); archived by the worker processes afterwards",
        worker_processes: workers,
        server_readings_accepted_total: accepted,
        archived_total: stored(),
        archive_catch_up_seconds: round(catchUpSeconds, 2),
      });
      emit("archived_readings_per_s", round(archived, 0), "readings/s", {
        ...context,
        measured: "Σ worker 'readings stored' over the window ÷ window (status lines once a second)",
        worker_processes: workers,
        archive_catch_up_seconds_after_window: round(catchUpSeconds, 2),
        caught_up: stored() >= accepted,
      });
      emit("workers_cpu_cores", round(workerCores, 2), "cores", { ...context, worker_processes: workers });
      emit("redis_cpu_cores", round(m.others.redis.cores, 2), "cores", context);
      emit("workers_rss_mb", round(workerRss / MiB, 1), "MiB", { ...context, worker_processes: workers });
      emit("redis_rss_mb", round(m.others.redis.rss / MiB, 1), "MiB", context);
    } finally {
      await server.stop();
    }
    for (const w of workerProcs) w.child.kill("SIGINT");
    await Promise.all(workerProcs.map((w) => exitOf(w.child, 30_000)));
    redis.kill("SIGTERM");
    await exitOf(redis, 30_000);
  } finally {
    killAll();
    process.removeListener("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  }
}

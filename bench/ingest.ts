// The ingest bench: readings/s end to end to durable (acknowledged) storage, ack latency, server CPU
// and memory, for gateways (binary readings frames, edge-compressed codec blocks), JSON devices, line
// protocol over HTTP (beside VictoriaMetrics on the same bodies) and 100 k idle connections. The
// server (dist/cli) and the load generators run as separate processes; frames are built before the
// clock starts. `npm run bench:ingest -- [--json] [--quick] [--scenario NAME]`; see ingest/options.ts.
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { lineOf, round, type Emit } from "./ingest/emit.js";
import { benchOptions, USAGE } from "./ingest/options.js";
import { jsonReporter, tableReporter, type Engine, type Line, type Reporter } from "./ingest/output.js";
import { runIdleScenario } from "./ingest/run-idle.js";
import { runLoadScenario, type LoadContext } from "./ingest/run-load.js";
import { runRedisScenario } from "./ingest/run-redis.js";
import { scaleOutUnsupported } from "./ingest/scale-out-node.js";
import { scenarios } from "./ingest/scenarios.js";
import { findVictoriaMetrics, versionOf } from "./peers/victoria-metrics-ingest.js";
import { readOptions } from "./cli-options.js";

/** The plan's ingest targets (DESIGN.md) from this run's lines. */
function targets(lines: readonly Line[], cores: number): Line[] {
  const find = (scenario: string, figure: string) =>
    lines.find((l) => l.scenario === scenario && l.engine === "iotpipe" && l.figure === figure && (l.load === "max" || l.load === "idle"))?.value ?? null;
  const ingest = find("gateway-binary", "readings_per_s");
  // The most connections one machine held (one process, or scale-out processes on one port), and their memory.
  const idle = lines
    .filter((l) => l.scenario === "idle-connections" && l.engine === "iotpipe" && l.figure === "connections_held" && typeof l.value === "number")
    .sort((a, b) => (b.value as number) - (a.value as number))[0];
  const held = idle?.value ?? null;
  // Memory per connection is the ingest processes' (the devices' series, in the workers, are measured beside it).
  const memory = (figure: string) => lines.find((l) => l.scenario === "idle-connections" && l.figure === figure && l.mode === idle?.mode)?.value ?? null;
  const kib = memory("server_rss_per_connection_kb");
  return [
    lineOf(null, "iotpipe", cores, "target_ingest_readings_per_s", ingest, "readings/s", {
      goal: 2_000_000,
      seed_target: 500_000,
      met: ingest === null ? null : ingest >= 2_000_000,
      note: "gateway-binary at max load, end to end to durable, on this machine",
    }),
    lineOf(null, "iotpipe", cores, "target_concurrent_connections", held, "connections", {
      goal: 100_000,
      seed_target: 10_000,
      rss_per_connection_kb: kib,
      rss_goal_kb: 4,
      node_rss_per_connection_kb: memory("node_rss_per_connection_kb"),
      met: held === null || kib === null ? null : held >= 100_000 && kib < 4,
      note: idle ? `idle-connections held on this machine by ${idle.ingest_processes} ingest process(es) (${idle.mode})` : "idle-connections not run",
    }),
  ];
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = readOptions(benchOptions, USAGE);
  if (!options) return;
  const cores = availableParallelism();
  const reporter: Reporter = options.json ? jsonReporter : tableReporter;
  const lines: Line[] = [];
  const record = (l: Line) => {
    lines.push(l);
    reporter.line(l);
  };
  const emitFor = (scenario: string | null) => (engine: Engine): Emit => (figure, value, unit, details) =>
    record(lineOf(scenario, engine, cores, figure, value, unit, details));
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout?.trim() || null;
  record(
    lineOf(null, "iotpipe", cores, "run", null, null, {
      quick: options.quick,
      commit,
      load_average: round(loadavg()[0], 2),
      node: process.version,
      server_workers_env: process.env.IOTPIPE_WORKERS ?? null,
      note: "other people's processes share this machine: see machine_busy_cores / other_processes_cores / cpu_pressure_pct on each server_cpu_cores line",
    }),
  );

  const plan = scenarios(options.quick);
  let peer: LoadContext["peer"];
  if (options.peer && options.scenarios.includes("line-protocol")) {
    const binary = findVictoriaMetrics();
    if (binary) peer = { binary, version: versionOf(binary) };
    else {
      emitFor("line-protocol")("victoria-metrics")("skipped", null, null, {
        skipped: "no victoria-metrics binary on PATH or in /usr/bin (Debian package victoria-metrics; the bench does not install it)",
      });
    }
  }

  for (const name of options.scenarios) {
    const emit = emitFor(name);
    try {
      if (name === "redis") {
        const reason = scaleOutUnsupported();
        if (reason) record({ ...lineOf(name, "iotpipe", cores, "skipped", null, null), skipped: reason });
        else {
          const s = { ...plan.load.find((l) => l.name === "gateway-binary")!, halfLoad: false };
          reporter.scenario(name, `scale-out: ${s.note}; serve --redis → Redis Streams → ${plan.redisWorkers} iotpipe worker processes`);
          await runRedisScenario(s, plan.redisWorkers, emit("iotpipe"), reporter.progress, options.profileDir);
        }
        continue;
      }
      if (name === "idle-connections") {
        reporter.scenario(name, plan.idle.note);
        await runIdleScenario(plan.idle, emit("iotpipe"), reporter.progress, options.profileDir);
        continue;
      }
      const s = plan.load.find((l) => l.name === name)!;
      reporter.scenario(name, s.note);
      await runLoadScenario(s, { emit, progress: reporter.progress, profileDir: options.profileDir, peer: s.peer ? peer : undefined });
    } catch (err) {
      emit("iotpipe")("failed", null, null, { error: (err as Error).message.slice(0, 2000) });
    }
  }
  for (const t of targets(lines, cores)) record(t);
  const seconds = (performance.now() - started) / 1000;
  record(lineOf(null, "iotpipe", cores, "bench_seconds", round(seconds, 1), "s", { quick: options.quick }));
  reporter.done(seconds);
}

await main();

// The archive bench: durable append rate, bytes per point on disk and query latency (cold and warm)
// of iotpipe's archive, beside VictoriaMetrics on the same seeded readings, in one run.
// `npm run bench:archive -- [--json] [--quick | --full] [--no-peer]`; see archive/options.ts.
import { availableParallelism } from "node:os";
import { generate, pointsOf } from "./archive/dataset.js";
import { lineOf, runIotpipe, type Emit } from "./archive/iotpipe-run.js";
import { benchOptions, USAGE, type BenchOptions } from "./archive/options.js";
import { jsonReporter, tableReporter, type Engine, type Line, type Reporter } from "./archive/output.js";
import { scenarios } from "./archive/scenarios.js";
import { runVictoriaMetrics } from "./archive/victoria-run.js";
import { findVictoriaMetrics, versionOf } from "./peers/victoria-metrics.js";
import { readOptions } from "./cli-options.js";

/** The plan's archive targets (DESIGN.md), from the lines of a run that had the data they need. */
function targets(lines: readonly Line[], size: BenchOptions["size"], cores: number): Line[] {
  const find = (dataset: string, engine: Engine, figure: string, query?: string) =>
    lines.find((l) => l.dataset === dataset && l.engine === engine && l.figure === figure && l.query === query)?.value ?? null;
  const out: Line[] = [];
  const warm = size === "quick" ? null : find("device-year", "iotpipe", "query_warm_ms", "range-avg-min-max-p95");
  out.push({
    ...lineOf({ dataset: "device-year", engine: "iotpipe", cores }, "target_device_year_aggregate_ms", warm, "ms"),
    goal: 20,
    met: warm === null ? null : warm < 20,
    note: "warm avg/min/max/p95 over one device-year at 1 Hz; null when not measured (--quick) or the query failed",
  });
  for (const dataset of new Set(lines.map((l) => l.dataset))) {
    if (dataset === null) continue;
    const ours = find(dataset, "iotpipe", "bytes_per_point");
    const theirs = find(dataset, "victoria-metrics", "bytes_per_point");
    // --quick archives are a few hundred KB, where du's 4 KiB blocks decide the ratio: not a figure.
    const ratio = ours !== null && theirs !== null && size !== "quick" ? Number((ours / theirs).toFixed(3)) : null;
    out.push({
      ...lineOf({ dataset, engine: "iotpipe", cores }, "target_bytes_per_point_vs_victoria_metrics", ratio, "ratio"),
      goal: 1,
      met: ratio === null ? null : ratio < 1,
      note: "iotpipe ÷ VictoriaMetrics bytes/point (du) on the same data, goal below 1; null with --quick or without the peer",
    });
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  // Exit through process.exit on a signal, so the 'exit' handlers stop VictoriaMetrics and remove temp dirs.
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
  const options = readOptions(benchOptions, USAGE);
  if (!options) return;
  const cores = availableParallelism();
  const reporter: Reporter = options.json ? jsonReporter : tableReporter();
  const lines: Line[] = [];
  const record = (l: Line) => {
    lines.push(l);
    reporter.line(l);
  };
  const binary = options.peer ? findVictoriaMetrics() : undefined;
  if (options.peer && !binary) {
    record({
      ...lineOf({ dataset: null, engine: "victoria-metrics", cores }, "skipped", null, null),
      reason: "no victoria-metrics binary on PATH or in /usr/bin (Debian package victoria-metrics)",
    });
  }
  const version = binary ? versionOf(binary) : undefined;

  for (const s of scenarios(options.size)) {
    const points = pointsOf(s.fleet);
    reporter.scenario(s, points);
    reporter.progress(`generating ${s.fleet.name}`);
    const chunks = generate(s.fleet);
    const emitter = (engine: Engine, extra: Record<string, unknown> = {}): Emit => (figure, value, unit, details) =>
      record(lineOf({ dataset: s.fleet.name, engine, cores }, figure, value, unit, { ...details, ...extra }));
    reporter.progress("iotpipe");
    await runIotpipe(s, chunks, emitter("iotpipe"));
    if (binary) {
      reporter.progress("victoria-metrics");
      try {
        await runVictoriaMetrics(binary, s, chunks, emitter("victoria-metrics", { version }));
      } catch (err) {
        emitter("victoria-metrics", { version })("failed", null, null, { error: (err as Error).message });
      }
    }
    reporter.scenarioDone();
  }
  for (const t of targets(lines, options.size, cores)) record(t);
  const seconds = (performance.now() - started) / 1000;
  record(lineOf({ dataset: null, engine: "iotpipe", cores }, "bench_seconds", Number(seconds.toFixed(1)), "s", { size: options.size }));
  reporter.done(seconds);
}

await main();

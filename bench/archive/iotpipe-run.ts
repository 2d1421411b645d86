// iotpipe's side of a scenario: durable appends into a fresh archive (large batches, several in
// flight, a final close), its size on disk, then each query cold (first after a reopen) and warm
// (median of repeats), with the plan explain() gives.
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Archive } from "../../src/archive/archive.js";
import { CHANNEL, deviceNames, pointsOf, type Chunk } from "./dataset.js";
import { diskUsage } from "./disk.js";
import { repeated, round, timed } from "./measure.js";
import type { Line } from "./output.js";
import type { Scenario } from "./scenarios.js";

/** Appends waiting for their fsync at once: the WAL's group commit syncs them together. */
export const IN_FLIGHT = 4;

export type Emit = (figure: string, value: number | null, unit: string | null, details?: Record<string, unknown>) => void;

const message = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

async function load(dir: string, s: Scenario, chunks: readonly Chunk[], emit: Emit): Promise<boolean> {
  const points = pointsOf(s.fleet);
  const devices = deviceNames(s.fleet);
  const archive = await Archive.open(dir);
  const started = performance.now();
  try {
    const waiting: Promise<unknown>[] = [];
    for (const chunk of chunks) {
      waiting.push(archive.append({ devices, channels: [CHANNEL], ...chunk }));
      if (waiting.length >= IN_FLIGHT) await waiting.shift();
    }
    await Promise.all(waiting);
  } catch (err) {
    emit("append_rate", null, "points/s", { points, error: message(err) });
    await archive.close().catch(() => undefined);
    return false;
  }
  const appended = performance.now();
  const stats = { ...archive.stats };
  await archive.close();
  const seconds = (performance.now() - started) / 1000;
  emit("append_rate", round(points / seconds, 0), "points/s", {
    points,
    seconds: round(seconds, 3),
    append_seconds: round((appended - started) / 1000, 3),
    close_seconds: round(seconds - (appended - started) / 1000, 3),
    batch_points: chunks[0]?.values.length ?? 0,
    in_flight: IN_FLIGHT,
    durable: "every append awaited (WAL fsync), then close()",
    checkpoints: stats.checkpoints + 1,
    blocks_sealed: stats.blocksSealed,
    background_error: stats.lastBackgroundError ?? null,
  });
  const du = await diskUsage(dir);
  emit("bytes_per_point", round(du.allocated / points, 4), "bytes/point", {
    bytes: du.allocated,
    apparent_bytes: du.apparent,
    apparent_bytes_per_point: round(du.apparent / points, 4),
    files: du.files,
    measured: "du of the archive directory after close()",
  });
  return true;
}

async function queries(dir: string, s: Scenario, emit: Emit): Promise<void> {
  for (const bq of s.queries) {
    // Cold: a new Archive on the same directory (empty catalog and caches; the OS page cache is warm).
    const opened = await timed(() => Archive.open(dir));
    const archive = opened.value;
    try {
      let cold;
      try {
        cold = await timed(() => archive.query(bq.query));
      } catch (err) {
        const explain = await archive.explain(bq.query).catch((e: unknown) => ({ error: message(e) }));
        emit("query_cold_ms", null, "ms", { query: bq.name, note: bq.note, error: message(err), explain });
        emit("query_warm_ms", null, "ms", { query: bq.name, error: "not run: the cold query failed" });
        continue;
      }
      const explain = await archive.explain(bq.query).catch((err: unknown) => ({ error: message(err) }));
      emit("query_cold_ms", round(cold.ms, 3), "ms", {
        query: bq.name,
        note: bq.note,
        open_ms: round(opened.ms, 3),
        answer: bq.digest(cold.value),
        plan: cold.value.plan,
        explain,
        warnings: cold.value.warnings,
      });
      const warm = await repeated(bq.repeats, () => archive.query(bq.query));
      emit("query_warm_ms", round(warm.median, 3), "ms", { query: bq.name, repeats: bq.repeats, samples_ms: warm.samples.map((x) => round(x, 2)) });
    } finally {
      await archive.close();
    }
  }
}

/** Runs the scenario against a new archive in a temporary directory, which it removes afterwards. */
export async function runIotpipe(s: Scenario, chunks: readonly Chunk[], emit: Emit): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "iotpipe-bench-archive-"));
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", onExit);
  try {
    if (await load(dir, s, chunks, emit)) await queries(dir, s, emit);
  } finally {
    process.removeListener("exit", onExit);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Line an Emit makes. */
export function lineOf(base: Pick<Line, "dataset" | "engine" | "cores">, figure: string, value: number | null, unit: string | null, details: Record<string, unknown> = {}): Line {
  return { bench: "archive", dataset: base.dataset, engine: base.engine, figure, value, unit, cores: base.cores, ...details };
}

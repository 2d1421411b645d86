// VictoriaMetrics' side of a scenario, on the same readings: Influx line protocol posted to /write
// (formatting is not timed), a forced flush (the rows are then on disk), a forced merge, the data
// directory's size, then each MetricsQL query cold (first after a restart) and warm (median).
import { VictoriaMetrics, type PromAnswer } from "../peers/victoria-metrics.js";
import { CHANNEL, deviceNames, pointsOf, type Chunk } from "./dataset.js";
import { diskUsage } from "./disk.js";
import type { Emit } from "./iotpipe-run.js";
import { lineProtocol } from "./line-protocol.js";
import { median, round, timed } from "./measure.js";
import type { PeerQuery, Scenario } from "./scenarios.js";

/** Requests posted at once (VictoriaMetrics also parses each request on several cores). */
export const PEER_IN_FLIGHT = 2;
/** Warm repeats of one MetricsQL query at most: a full scan of a device-year takes seconds. */
const MAX_PEER_REPEATS = 5;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function ingest(vm: VictoriaMetrics, s: Scenario, chunks: readonly Chunk[], emit: Emit): Promise<boolean> {
  const points = pointsOf(s.fleet);
  const devices = deviceNames(s.fleet);
  let sendMs = 0;
  let formatMs = 0;
  for (let i = 0; i < chunks.length; i += PEER_IN_FLIGHT) {
    const formatted = await timed(async () => chunks.slice(i, i + PEER_IN_FLIGHT).map((c) => lineProtocol(c, devices, [CHANNEL])));
    formatMs += formatted.ms;
    sendMs += (await timed(() => Promise.all(formatted.value.map((body) => vm.write(body, "ms"))))).ms;
  }
  const flush = await timed(() => vm.forceFlush());
  const metrics = await vm.metrics();
  const stored = VictoriaMetrics.total(metrics, "vm_rows_added_to_storage_total");
  const seconds = (sendMs + flush.ms) / 1000;
  emit("append_rate", round(points / seconds, 0), "points/s", {
    points,
    seconds: round(seconds, 3),
    send_seconds: round(sendMs / 1000, 3),
    flush_seconds: round(flush.ms / 1000, 3),
    format_seconds_untimed: round(formatMs / 1000, 3),
    request_points: chunks[0]?.values.length ?? 0,
    in_flight: PEER_IN_FLIGHT,
    durable: "requests are acknowledged from memory; timed up to /internal/force_flush",
    rows_stored: stored,
    ...(stored !== points ? { error: `stored ${stored} rows of ${points}` } : {}),
  });
  return stored === points;
}

async function size(vm: VictoriaMetrics, points: number, emit: Emit): Promise<void> {
  const merge = await timed(() => vm.mergeFully());
  const du = await diskUsage(vm.dataDir);
  emit("bytes_per_point", round(du.allocated / points, 4), "bytes/point", {
    bytes: du.allocated,
    apparent_bytes: du.apparent,
    apparent_bytes_per_point: round(du.apparent / points, 4),
    files: du.files,
    merge_seconds: round(merge.ms / 1000, 3),
    merge_rounds: merge.value.rounds,
    parts: merge.value.parts,
    measured: "du of -storageDataPath after force_flush and force_merge (merges finished)",
  });
}

function ask(vm: VictoriaMetrics, q: PeerQuery): Promise<PromAnswer> {
  return q.kind === "instant" ? vm.query(q.promql, q.time) : vm.queryRange(q.promql, q.start, q.end, q.step);
}

interface Measured {
  cold: PromAnswer;
  warm: number[];
}

async function queries(vm: VictoriaMetrics, s: Scenario, emit: Emit): Promise<void> {
  // Each distinct MetricsQL query once, cold right after a restart, then warm.
  const repeats = new Map<string, number>();
  for (const bq of s.queries) {
    for (const pq of Object.values(bq.peer)) repeats.set(pq.promql, Math.min(repeats.get(pq.promql) ?? MAX_PEER_REPEATS, bq.repeats));
  }
  const measured = new Map<string, Measured | Error>();
  for (const bq of s.queries) {
    for (const pq of Object.values(bq.peer)) {
      if (measured.has(pq.promql)) continue;
      try {
        await vm.restart();
        const cold = await ask(vm, pq);
        const warm: number[] = [];
        for (let i = 0; i < repeats.get(pq.promql)!; i++) warm.push((await ask(vm, pq)).ms);
        measured.set(pq.promql, { cold, warm });
      } catch (err) {
        measured.set(pq.promql, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
  for (const bq of s.queries) {
    const parts = Object.entries(bq.peer).map(([name, pq]) => [name, pq, measured.get(pq.promql)!] as const);
    const promql = Object.fromEntries(parts.map(([name, pq]) => [name, pq.promql]));
    const failed = parts.find(([, , m]) => m instanceof Error);
    if (failed) {
      const error = message(failed[2]);
      emit("query_cold_ms", null, "ms", { query: bq.name, promql, error });
      emit("query_warm_ms", null, "ms", { query: bq.name, promql, error });
      continue;
    }
    const ok = parts.map(([name, , m]) => [name, m as Measured] as const);
    const sum = (pick: (m: Measured) => number) => ok.reduce((t, [, m]) => t + pick(m), 0);
    emit("query_cold_ms", round(sum((m) => m.cold.ms), 3), "ms", {
      query: bq.name,
      note: `${bq.note}: the queries below one after another, each first after a restart (OS page cache warm)`,
      parts_ms: Object.fromEntries(ok.map(([name, m]) => [name, round(m.cold.ms, 3)])),
      promql,
      answer: bq.peerDigest(Object.fromEntries(ok.map(([name, m]) => [name, m.cold]))),
    });
    emit("query_warm_ms", round(sum((m) => median(m.warm)), 3), "ms", {
      query: bq.name,
      parts_ms: Object.fromEntries(ok.map(([name, m]) => [name, round(median(m.warm), 3)])),
      repeats: Object.fromEntries(ok.map(([name, m]) => [name, m.warm.length])),
    });
  }
}

/** Runs the scenario against a new VictoriaMetrics, which it stops (and whose data it removes) afterwards. */
export async function runVictoriaMetrics(binary: string, s: Scenario, chunks: readonly Chunk[], emit: Emit): Promise<void> {
  const vm = await VictoriaMetrics.start(binary);
  try {
    if (!(await ingest(vm, s, chunks, emit))) return;
    await size(vm, pointsOf(s.fleet), emit);
    await queries(vm, s, emit);
  } finally {
    await vm.stop();
  }
}

// A throughput scenario end to end: a fresh iotpipe server per measured load (and, for line
// protocol, a fresh VictoriaMetrics fed the same bodies, then iotpipe again storing only, with its
// analytics off, as VictoriaMetrics does), the half-load latency run where asked, and the server's own
// counters as a cross-check of the generators' acknowledgements.
import { emitMeasured, quantiles, round, type Emit } from "./emit.js";
import { serverMetrics, serverQuantiles, startIotpipeServer, type ServerHistogram } from "./iotpipe-server.js";
import { diskBytes, measureLoad, type Measured } from "./measure.js";
import { sizedFor, type LoadScenario } from "./scenarios.js";
import { startVictoriaIngest } from "../peers/victoria-metrics-ingest.js";
import { BENCH_SEED } from "../datasets/prng.js";

export interface LoadContext {
  emit: (engine: "iotpipe" | "victoria-metrics") => Emit;
  progress: (text: string) => void;
  profileDir: string | undefined;
  /** VictoriaMetrics binary and version, when it is installed and wanted. */
  peer: { binary: string; version: string } | undefined;
  /** Extra server environment (Redis mode). */
  env?: Record<string, string>;
}

function urlFor(s: LoadScenario, base: string): string {
  return s.workload.kind === "line" ? `http://${base}/write?precision=ns` : `ws://${base}/v1/ingest`;
}

/** The data directory right after the drain (before the server's final checkpoint), per reading accepted. */
function diskDetails(disk: { total: number; wal: number }, readings: number): Record<string, unknown> {
  return {
    data_dir_mb: round(disk.total / 1e6, 1),
    data_dir_bytes_per_reading: readings > 0 ? round(disk.total / readings, 2) : null,
    wal_bytes_per_reading: readings > 0 ? round(disk.wal / readings, 2) : null,
  };
}

/** Runs one load against a fresh iotpipe server (with its analytics off when `storeOnly`); returns what was measured. */
async function iotpipeRun(s: LoadScenario, ctx: LoadContext, load: "max" | "half", rate?: number, storeOnly = false): Promise<Measured> {
  ctx.progress(`${s.name}: iotpipe${storeOnly ? " (analytics off)" : ""}, ${load} load${rate ? ` (${Math.round(rate)} readings/s offered)` : ""}`);
  const env = storeOnly ? { ...ctx.env, IOTPIPE_ANALYTICS: "off" } : ctx.env;
  const server = await startIotpipeServer({ profileDir: ctx.profileDir, env });
  let m: Measured;
  let counters: Record<string, number>;
  let serverLatency: Record<ServerHistogram, (number | null)[]>;
  let disk: { total: number; wal: number };
  try {
    m = await measureLoad(s, urlFor(s, `127.0.0.1:${server.port}`), server.pid, BENCH_SEED, rate);
    counters = await serverMetrics(server.port);
    serverLatency = await serverQuantiles(server.port, [0.5, 0.99]);
    disk = await diskBytes(server.dataDir);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const stopSeconds = await server.stop();
  emitMeasured(
    ctx.emit("iotpipe"),
    s,
    m,
    { load, ...(rate ? { offered_readings_per_s: Math.round(rate) } : {}), ...(storeOnly ? { analytics: "off" } : {}) },
    {
      warmup_seconds: s.warmupSeconds,
      server_workers: server.workers,
      durable: "acked after the WAL fsync (group commit)",
      server_readings_accepted_total: counters.iotpipe_readings_accepted_total,
      server_frames_rejected_total: counters.iotpipe_frames_rejected_total ?? 0,
      server_refused_total: counters.iotpipe_connections_refused_total ?? 0,
      server_readings_per_append: counters.iotpipe_archive_appends_total > 0 ? round(counters.iotpipe_readings_accepted_total / counters.iotpipe_archive_appends_total, 0) : null,
      server_batches_per_append: counters.iotpipe_archive_appends_total > 0 ? round(counters.iotpipe_archive_append_batches_total / counters.iotpipe_archive_appends_total, 2) : null,
      ...diskDetails(disk, counters.iotpipe_readings_accepted_total),
      server_stop_seconds: round(stopSeconds, 2),
      server_ack_latency_ms: quantiles(serverLatency.iotpipe_ack_latency_seconds, "server: frame taken → durable, whole run incl. warm-up"),
      server_append_ms: quantiles(serverLatency.iotpipe_archive_append_seconds, "server: a partition's merged batches handed to their worker → durable, whole run"),
      server_wal_fsync_ms: quantiles(serverLatency.iotpipe_wal_fsync_seconds, "server: the WAL fsync that made an append durable, whole run"),
      // A stall of the socket thread (a long GC, or the thread not running for seconds on this shared box) shows here: a run with one is not comparable.
      server_socket_thread_stall_ms: {
        event_loop_delay_max: counters.iotpipe_event_loop_delay_max_ms ?? null,
        gc_pause_max: counters.iotpipe_gc_pause_max_ms ?? null,
        measured: "server: socket thread's event-loop delay and GC pause, longest since start (warm-up included)",
      },
    },
  );
  return m;
}

async function victoriaRun(s: LoadScenario, ctx: LoadContext, peer: { binary: string; version: string }): Promise<Measured> {
  ctx.progress(`${s.name}: victoria-metrics`);
  const vm = await startVictoriaIngest(peer.binary);
  try {
    const m = await measureLoad(s, urlFor(s, vm.url.slice("http://".length)), vm.pid, BENCH_SEED);
    const flushStarted = performance.now();
    await vm.forceFlush();
    const flushSeconds = (performance.now() - flushStarted) / 1000;
    const stored = await vm.rowsStored();
    emitMeasured(ctx.emit("victoria-metrics"), s, m, { load: "max" }, {
      version: peer.version,
      durable: "acked from memory: VictoriaMetrics buffers rows and writes parts about every second (not fsynced per request)",
      force_flush_seconds_after_drain: round(flushSeconds, 3),
      rows_stored: stored,
    });
    return m;
  } finally {
    await vm.stop();
  }
}

export async function runLoadScenario(s: LoadScenario, ctx: LoadContext): Promise<Measured> {
  const max = await iotpipeRun(s, ctx, "max");
  if (s.halfLoad && max.window.readingsPerSecond > 0) {
    const half = max.window.readingsPerSecond / 2;
    await iotpipeRun(sizedFor({ ...s, warmupSeconds: s.halfLoadWarmupSeconds ?? s.warmupSeconds }, half), ctx, "half", half);
  }
  if (s.peer && ctx.peer) {
    let theirs: Measured;
    try {
      theirs = await victoriaRun(s, ctx, ctx.peer);
    } catch (err) {
      ctx.emit("victoria-metrics")("failed", null, null, { error: (err as Error).message });
      return max;
    }
    const vs = (ours: Measured) => (theirs.window.readingsPerSecond > 0 ? round(ours.window.readingsPerSecond / theirs.window.readingsPerSecond, 3) : null);
    ctx.emit("iotpipe")("readings_per_s_vs_victoria_metrics", vs(max), "ratio", {
      note: "iotpipe readings/s ÷ VictoriaMetrics readings/s, same bodies, same generators, one run",
    });
    // Like for like: VictoriaMetrics stores; iotpipe also scores every reading unless told not to.
    const storing = await iotpipeRun(s, ctx, "max", undefined, true);
    ctx.emit("iotpipe")("readings_per_s_vs_victoria_metrics_storing_only", vs(storing), "ratio", {
      analytics: "off",
      note: "iotpipe with IOTPIPE_ANALYTICS=off (storing only, as VictoriaMetrics does) ÷ VictoriaMetrics readings/s, same bodies, same generators, one run",
    });
  }
  return max;
}

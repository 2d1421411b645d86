// Turns measurements into output lines: the same figures for every throughput run, so runs, loads and
// engines line up.
import type { Measured } from "./measure.js";
import type { Engine, Line } from "./output.js";
import type { LoadScenario } from "./scenarios.js";

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));
export const roundOrNull = (x: number | null, digits: number): number | null => (x === null ? null : round(x, digits));

/** p50 and p99 (ms) of one latency histogram, with what it measured. */
export function quantiles([p50, p99]: (number | null)[], measured: string): Record<string, unknown> {
  return { p50: roundOrNull(p50, 1), p99: roundOrNull(p99, 1), measured };
}
const MiB = 1 << 20;

/** Emits one figure of a scenario (details are spread into the line after the standard fields). */
export type Emit = (figure: string, value: number | null, unit: string | null, details?: Record<string, unknown>) => void;

export function lineOf(scenario: string | null, engine: Engine, cores: number, figure: string, value: number | null, unit: string | null, details: Record<string, unknown> = {}): Line {
  return { bench: "ingest", scenario, engine, figure, value, unit, cores, ...details };
}

/** How busy the whole machine was, and how much of that was neither the server nor the generators. */
export function machineDetails(machine: { busyCores: number; cpuPressurePct: number | null }, ours: number): Record<string, unknown> {
  return {
    machine_busy_cores: round(machine.busyCores, 2),
    other_processes_cores: round(Math.max(0, machine.busyCores - ours), 2),
    cpu_pressure_pct: machine.cpuPressurePct === null ? null : round(machine.cpuPressurePct, 1),
  };
}

/** readings/s, ack latency p50/p99, server CPU and RSS of one measured run. */
export function emitMeasured(emit: Emit, s: LoadScenario, m: Measured, context: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  const w = m.window;
  const rate = w.readingsPerSecond;
  emit("readings_per_s", round(rate, 0), "readings/s", {
    ...context,
    readings_acked: w.readingsAcked,
    seconds: round(w.seconds, 2),
    frames_per_s: round(w.framesPerSecond, 1),
    wire_mb_per_s: round(w.bytesPerSecond / 1e6, 2),
    wire_bytes_per_reading: w.readingsAcked > 0 ? round((w.bytesPerSecond * w.seconds) / w.readingsAcked, 2) : null,
    readings_per_frame: m.ready.frames > 0 ? round(m.ready.readings / m.ready.frames, 1) : null,
    connections: m.ready.connections,
    window_frames: s.window,
    generators: s.generators,
    generator_cores: round(w.generatorCores, 2),
    retry_answers: w.retryAnswers,
    resent: w.resent,
    frame_errors: w.frameErrors,
    ...(w.firstError ? { first_error: w.firstError } : {}),
    rejected_readings: w.readingsRejected,
    closed_connections: w.closed,
    pool_wraps: w.poolWraps,
    pre_encoded: { frames: m.ready.frames, readings: m.ready.readings, mb: round(m.ready.bytes / 1e6, 1), build_seconds: round(m.ready.buildSeconds, 2) },
    ...(Object.keys(m.ready.failed).length > 0 ? { connect_failures: m.ready.failed } : {}),
    drain_seconds: round(m.drain.seconds, 2),
    unanswered_after_drain: m.drain.unanswered,
    ...extra,
  });
  const latency = { ...context, samples: w.latency.count, measured: "generator: first send of a frame → its ack (resends included)" };
  emit("ack_latency_p50_ms", roundOrNull(w.latency.quantile(0.5), 3), "ms", latency);
  emit("ack_latency_p99_ms", roundOrNull(w.latency.quantile(0.99), 3), "ms", {
    ...latency,
    p999_ms: roundOrNull(w.latency.quantile(0.999), 3),
    max_ms: round(w.latency.max, 3),
    ...(w.lagMeanMs !== undefined ? { schedule_lag_mean_ms: round(w.lagMeanMs, 2), schedule_lag_max_ms: round(w.lagMaxMs!, 2) } : {}),
  });
  emit("server_cpu_cores", round(m.serverCores, 2), "cores", {
    ...context,
    core_seconds_per_million_readings: rate > 0 ? round(m.serverCores / (rate / 1e6), 3) : null,
    measured: "Δ(utime + stime) of every thread in /proc/<pid>/stat over the window ÷ wall time",
    busiest_threads: m.serverThreads,
    ...machineDetails(m.machine, m.serverCores + w.generatorCores + Object.values(m.others).reduce((n, o) => n + o.cores, 0)),
  });
  const written = Number.isFinite(m.diskWriteBytesPerSecond) ? m.diskWriteBytesPerSecond : null;
  emit("server_disk_write_mb_per_s", written === null ? null : round(written / 1e6, 2), "MB/s", {
    ...context,
    bytes_per_reading: written !== null && rate > 0 ? round(written / rate, 2) : null,
    measured: "Δ write_bytes of /proc/<pid>/io over the window (WAL, segments, manifest)",
  });
  emit("server_rss_mb", round(m.rss / MiB, 1), "MiB", { ...context, peak_rss_mb: round(m.peakRss / MiB, 1), measured: "VmRSS at the end of the window; peak: VmHWM" });
}

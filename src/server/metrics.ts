// Counters and gauges the server exposes on /metrics in Prometheus' text format, plus a small
// latency histogram for acknowledgement times, then the process's own metrics. Names follow Prometheus
// conventions (iotpipe_*_total).
import { renderProcessMetrics } from "./process-metrics.js";
import type { AppendTiming } from "../workers/dispatcher.js";

/** A monotonically increasing count, optionally split by one label. */
export class Counter {
  readonly name: string;
  readonly help: string;
  readonly #values = new Map<string, number>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(by = 1, label = ""): void {
    this.#values.set(label, (this.#values.get(label) ?? 0) + by);
  }

  get(label = ""): number {
    return this.#values.get(label) ?? 0;
  }

  total(): number {
    let s = 0;
    for (const v of this.#values.values()) s += v;
    return s;
  }

  render(labelName: string): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const [label, v] of this.#values) lines.push(label ? `${this.name}{${labelName}="${label}"} ${v}` : `${this.name} ${v}`);
    return lines.join("\n");
  }
}

/** Latencies in fixed log-spaced buckets (ms), rendered in seconds; quantiles by interpolation (quantileOf). */
export class LatencyHistogram {
  static readonly BOUNDS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity];
  readonly name: string;
  readonly help: string;
  readonly #counts = new Array<number>(LatencyHistogram.BOUNDS.length).fill(0);
  #sum = 0;
  #n = 0;
  /** Counts since the last window() call, for the live status line. */
  #window = new Array<number>(LatencyHistogram.BOUNDS.length).fill(0);

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  observe(ms: number): void {
    let i = 0;
    while (ms > LatencyHistogram.BOUNDS[i]) i++;
    this.#counts[i]++;
    this.#window[i]++;
    this.#sum += ms;
    this.#n++;
  }

  /** The bucket counts of observations since the previous call (see quantileOf), and resets that window. */
  takeWindow(): number[] {
    const counts = this.#window;
    this.#window = new Array<number>(counts.length).fill(0);
    return counts;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    LatencyHistogram.BOUNDS.forEach((b, i) => {
      cumulative += this.#counts[i];
      lines.push(`${this.name}_bucket{le="${b === Infinity ? "+Inf" : b / 1000}"} ${cumulative}`);
    });
    lines.push(`${this.name}_sum ${this.#sum / 1000}`, `${this.name}_count ${this.#n}`);
    return lines.join("\n");
  }
}

/** The q-quantile (ms) of observations counted in LatencyHistogram.BOUNDS buckets; NaN for none. */
export function quantileOf(counts: readonly number[], q: number): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return NaN;
  const rank = q * n;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    if (seen + counts[i] >= rank) {
      const lo = i === 0 ? 0 : LatencyHistogram.BOUNDS[i - 1];
      const hi = LatencyHistogram.BOUNDS[i] === Infinity ? lo * 2 : LatencyHistogram.BOUNDS[i];
      return lo + ((hi - lo) * (rank - seen)) / Math.max(1, counts[i]);
    }
    seen += counts[i];
  }
  return LatencyHistogram.BOUNDS[LatencyHistogram.BOUNDS.length - 2];
}

/** How long archive appends took: the whole append, and the WAL fsync that made it durable. */
export class AppendMetrics {
  readonly append = new LatencyHistogram("iotpipe_archive_append_seconds", "Time from handing a partition's merged batches to its archive until they were durable.");
  readonly walSync = new LatencyHistogram("iotpipe_wal_fsync_seconds", "Time the WAL fsync that made an archive append durable took, per append.");

  observe({ appendMs, syncMs }: AppendTiming): void {
    this.append.observe(appendMs);
    this.walSync.observe(syncMs);
  }

  render(): string {
    return `${this.append.render()}\n${this.walSync.render()}`;
  }
}

/** Everything the server counts. */
export class ServerMetrics {
  readonly readings = new Counter("iotpipe_readings_accepted_total", "Readings accepted and acknowledged as durable.");
  readonly rejected = new Counter("iotpipe_readings_rejected_total", "Readings refused, by reason.");
  readonly frames = new Counter("iotpipe_frames_total", "Frames received, by format.");
  readonly badFrames = new Counter("iotpipe_frames_rejected_total", "Frames refused whole, by error code.");
  readonly connections = new Counter("iotpipe_connections_total", "WebSocket connections opened.");
  readonly refused = new Counter("iotpipe_connections_refused_total", "Connections refused, by reason.");
  readonly ackLatency = new LatencyHistogram("iotpipe_ack_latency_seconds", "Time from a frame's arrival to its acknowledgement.");
  /** Embedded mode's appends (scale-out workers count their own). */
  readonly appends = new AppendMetrics();
  readonly windowsFired = new Counter("iotpipe_windows_fired_total", "Event-time windows fired (updates after late readings included), by window.");
  readonly clockJumps = new Counter("iotpipe_clock_jumps_total", "Device clocks seen jumping (a steady offset that broke).");
  readonly clockCorrected = new Counter("iotpipe_clock_corrected_readings_total", "Readings whose timestamps were shifted by their device's steady clock offset.");
  readonly lateReadings = new Counter("iotpipe_window_late_readings_total", "Readings too late for every window that could hold them (the late side output), by window.");
  openConnections = 0;
  inFlightBytes = 0;
  /** Devices that have sent a frame. */
  devicesSeen = 0;

  async render(extra: Record<string, number> = {}, counters: Record<string, number> = {}): Promise<string> {
    const gauges = {
      iotpipe_open_connections: this.openConnections,
      iotpipe_in_flight_bytes: this.inFlightBytes,
      iotpipe_devices_seen: this.devicesSeen,
      ...extra,
    };
    return [
      this.readings.render(""),
      this.rejected.render("reason"),
      this.frames.render("format"),
      this.badFrames.render("code"),
      this.connections.render(""),
      this.refused.render("reason"),
      this.ackLatency.render(),
      this.appends.render(),
      this.windowsFired.render("window"),
      this.lateReadings.render("window"),
      this.clockJumps.render(""),
      this.clockCorrected.render(""),
      ...Object.entries(gauges).map(([k, v]) => `# TYPE ${k} gauge\n${k} ${v}`),
      ...Object.entries(counters).map(([k, v]) => `# TYPE ${k} counter\n${k} ${v}`),
      await renderProcessMetrics(),
      "",
    ].join("\n");
  }
}

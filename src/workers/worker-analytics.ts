// What a worker (a thread of the embedded pool, or an `iotpipe worker` process) runs on each batch
// once its archive holds it durably: the anomaly and health kernels and the event-time windows. Their
// output leaves through sinks: signals for alert rules, window reports for subscribers (and zone
// merging), and window results written back as derived series into the archive of their device's
// partition. A once-a-second sweep finds silences and closes idle devices' windows.
import type { ReadingColumns } from "../archive/batch.js";
import { StreamAnalytics, type DeviceHealth, type SeriesSignal, type SignalFilter } from "../analytics/stream-analytics.js";
import { StreamWindows, type LateReading, type WindowOutput, type WindowResult } from "../analytics/windows/stream-windows.js";
import { derivedColumns } from "../analytics/windows/derived-series.js";
import type { WindowSpec } from "../analytics/windows/window-spec.js";
import { partitionOf } from "../pipeline/router.js";
import type { WindowReport } from "./protocol.js";

export interface WorkerAnalyticsOptions {
  /** Run the anomaly and health kernels (with their compiled module, or true to compile it here). */
  analytics: WebAssembly.Module | boolean;
  windows: readonly WindowSpec[];
  windowModule?: WebAssembly.Module;
  /** Partitions in all (to find a device's partition). */
  partitionCount: number;
}

export interface WorkerAnalyticsSinks {
  signals(signals: SeriesSignal[]): void;
  windows(report: WindowReport): void;
  /** Appends derived series to `partition`'s archive; undefined when this worker does not hold it. */
  store(partition: number, cols: ReadingColumns): Promise<unknown> | undefined;
  log(line: string): void;
}

export class WorkerAnalytics {
  readonly #analytics: StreamAnalytics | undefined;
  readonly #windows: StreamWindows | undefined;
  readonly #sinks: WorkerAnalyticsSinks;
  readonly #stored: Set<string>;
  readonly #zoned: boolean;
  readonly #partitionCount: number;
  readonly #writes = new Set<Promise<unknown>>();
  readonly #sweep: NodeJS.Timeout;

  private constructor(analytics: StreamAnalytics | undefined, windows: StreamWindows | undefined, o: WorkerAnalyticsOptions, sinks: WorkerAnalyticsSinks) {
    this.#analytics = analytics;
    this.#windows = windows;
    this.#sinks = sinks;
    this.#stored = new Set(o.windows.filter((w) => w.store).map((w) => w.name));
    this.#zoned = o.windows.some((w) => w.groupBy === "zone");
    this.#partitionCount = o.partitionCount;
    this.#sweep = setInterval(() => this.sweep(Date.now() * 1000), 1000);
    this.#sweep.unref();
  }

  static async create(o: WorkerAnalyticsOptions, sinks: WorkerAnalyticsSinks): Promise<WorkerAnalytics> {
    const analytics = o.analytics === false ? undefined : await StreamAnalytics.create(o.analytics === true ? undefined : o.analytics);
    const windows = o.windows.length > 0 ? await StreamWindows.create(o.windows, o.windowModule) : undefined;
    return new WorkerAnalytics(analytics, windows, o, sinks);
  }

  /** Takes a batch the archive holds durably (never one of derived series). A batch the kernels refuse is logged, not thrown: it is acknowledged already. */
  observe(batch: ReadingColumns, partition: number): void {
    try {
      const now = Date.now() * 1000;
      if (this.#analytics) this.#signal(this.#analytics.observe(batch, now));
      if (this.#windows) this.#report(this.#windows.observe(batch, now), false);
    } catch (err) {
      this.#sinks.log(`analytics skipped a batch of partition ${partition}: ${(err as Error).message}`);
    }
  }

  /** Finds silences and moves idle devices' watermarks on (run every second by itself). */
  sweep(now: number): void {
    if (this.#analytics) this.#signal(this.#analytics.sweep(now));
    if (this.#windows) this.#report(this.#windows.sweep(now), true);
  }

  health(now: number): DeviceHealth[] {
    return this.#analytics?.health(now) ?? [];
  }

  setSignalFilter(filter: SignalFilter): void {
    this.#analytics?.setSignalFilter(filter);
  }

  defineDevice(device: string, tags: Record<string, string>): void {
    this.#analytics?.defineDevice(device, tags);
    this.#windows?.defineDevice(device, tags);
  }

  /** Stores zone windows completed where every worker's part meets (the main thread, or the ingest process in scale-out mode), for the partitions this worker holds. */
  storeZoneWindows(results: readonly WindowResult[]): void {
    this.#store(results, []);
  }

  /** Stops the sweep and waits for derived series still being written. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all(this.#writes);
  }

  #signal(signals: SeriesSignal[]): void {
    if (signals.length > 0) this.#sinks.signals(signals);
  }

  #report(out: WindowOutput, swept: boolean): void {
    if (out.results.length + out.late.length + out.zoneParts.length === 0 && !(swept && this.#zoned)) return;
    const late: Record<string, number> = {};
    for (const l of out.late) late[l.window] = (late[l.window] ?? 0) + 1;
    this.#sinks.windows({ results: out.results, late, zoneParts: out.zoneParts, zoneWatermarks: out.zoneWatermarks, swept });
    this.#store(out.results, out.late);
  }

  /** Stores window results and late readings as derived series in the archives of their devices' partitions this worker holds. */
  #store(results: readonly WindowResult[], lateReadings: readonly LateReading[]): void {
    const byPartition = new Map<number, { results: WindowResult[]; late: LateReading[] }>();
    const part = (device: string) => {
      const p = partitionOf(device, this.#partitionCount);
      let o = byPartition.get(p);
      if (!o) byPartition.set(p, (o = { results: [], late: [] }));
      return o;
    };
    for (const r of results) part(r.device).results.push(r);
    for (const l of lateReadings) part(l.device).late.push(l);
    for (const [p, o] of byPartition) {
      const cols = derivedColumns(o.results, o.late, this.#stored);
      if (!cols) continue;
      const write = this.#sinks.store(p, cols)?.catch((err: Error) => this.#sinks.log(`windows: derived series of partition ${p} not stored: ${err.message}`));
      if (!write) continue;
      this.#writes.add(write);
      void write.finally(() => this.#writes.delete(write));
    }
  }
}

// Streaming anomaly scores for many series at once: the range-novelty kernel (assembly/analytics/
// novelty.ts) keeps 256 bytes of state per series slot in WebAssembly memory; the host hands it whole
// batches (slot, timestamp, value per reading) and gets one score per reading back.
import { instantiateAnalytics, type AnalyticsExports } from "./module.js";

/** How the detector learns and how often it may fire. */
export interface NoveltyOptions {
  /** Readings a series learns from before it may score (NAB's probationary period). */
  learnReadings: number;
  /** Readings a series stays quiet after a detection, so one event gives one score. */
  suppressReadings: number;
  /** A module from compileAnalyticsModule(), so workers instantiate without compiling again. */
  module?: WebAssembly.Module;
}

/** A batch the detector cannot take: lengths that differ, a slot out of range, or a batch too large. */
export class AnalyticsError extends Error {
  override name = "AnalyticsError";
}

/** Scores readings in [0, 1): 0 for ordinary ones, higher the further a reading leaves what its series has done. */
export class NoveltyDetector {
  /** Bytes of state each series slot takes. */
  readonly stateBytes: number;
  private slots = 0;

  private constructor(private readonly wasm: AnalyticsExports, options: NoveltyOptions) {
    this.stateBytes = wasm.STATE_BYTES.value as number;
    wasm.configureNovelty(options.learnReadings, options.suppressReadings);
  }

  static async create(options: NoveltyOptions): Promise<NoveltyDetector> {
    for (const key of ["learnReadings", "suppressReadings"] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 0 || options[key] > 65535) {
        throw new AnalyticsError(`${key} must be an integer in [0, 65535], got ${options[key]}`);
      }
    }
    return new NoveltyDetector(await instantiateAnalytics(options.module), options);
  }

  /** Series slots the detector holds state for. */
  get series(): number {
    return this.slots;
  }

  /**
   * Scores a batch: reading i belongs to series slot `slots[i]` (slots grow on demand), has timestamp
   * `ts[i]` in µs and value `values[i]`. A slot's readings must come in time order, across batches too.
   */
  score(slots: Int32Array, ts: Float64Array, values: Float64Array, out = new Float64Array(values.length)): Float64Array {
    const n = values.length;
    if (slots.length !== n || ts.length !== n || out.length < n) {
      throw new AnalyticsError(`batch columns differ in length: ${slots.length} slots, ${ts.length} timestamps, ${n} values, ${out.length} outputs`);
    }
    let highest = -1;
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      if (!(s >= 0)) throw new AnalyticsError(`reading ${i} has series slot ${s}`);
      if (s > highest) highest = s;
    }
    const w = this.wasm;
    if (w.ensure(n, Math.max(highest + 1, this.slots)) < 0) {
      throw new AnalyticsError(`batch of ${n} readings over ${highest + 1} series is beyond the kernel's limits (${w.MAX_BATCH.value} readings, ${w.MAX_SERIES.value} series)`);
    }
    this.slots = Math.max(this.slots, highest + 1);
    const buffer = w.memory.buffer;
    new Int32Array(buffer, w.seriesPtr(), n).set(slots);
    new Float64Array(buffer, w.timestampsPtr(), n).set(ts);
    new Float64Array(buffer, w.valuesPtr(), n).set(values);
    if (w.scoreBatch(n) < 0) throw new Error("BUG: the analytics kernel refused a batch the host checked");
    out.set(new Float64Array(w.memory.buffer, w.scoresPtr(), n));
    return out;
  }

  /** Forgets what slots [first, first + count) have learned, so they can be given to new series. */
  reset(first: number, count: number): void {
    if (this.wasm.resetSeries(first, count) < 0) throw new AnalyticsError(`slots [${first}, ${first + count}) are not all held (${this.slots} slots)`);
  }
}

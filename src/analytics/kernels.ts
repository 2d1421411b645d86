// The analytics kernels (assembly/analytics) for many series at once: a range-novelty anomaly score and
// sensor-health findings per reading. State lives in WebAssembly memory, per series slot (144 bytes for
// the anomaly kernel, 112 for health); the host hands whole batches over and gets columns back.
import { instantiateAnalytics, type AnalyticsExports } from "./module.js";

/** How the kernels learn, how often the anomaly score may fire, and the clock skew tolerated. */
export interface AnalyticsOptions {
  /** Readings a series learns from before it may score (NAB's probationary period). */
  learnReadings: number;
  /** Readings a series stays quiet after a detection, so one event gives one score. */
  suppressReadings: number;
  /** Readings a series learns from before health conditions are judged (default: learnReadings). */
  healthLearnReadings?: number;
  /** Device clock offset tolerated before a series is flagged for skew, µs (default 5 s). */
  skewToleranceUs?: number;
  /** A module from compileAnalyticsModule(), so workers instantiate without compiling again. */
  module?: WebAssembly.Module;
}

/**
 * Health findings, as bits of `judge()`'s output. Events: SPIKE, GAP, DUPLICATE, LATE, SCHEMA; the rest
 * hold while they last. SCHEMA is found by the host, not the kernel (see StreamAnalytics): a channel
 * new to a device that had been reporting its channels for a while.
 */
export const HEALTH = {
  SPIKE: 1,
  STUCK: 2,
  GAP: 4,
  RATE: 8,
  DRIFT: 16,
  OUT_OF_RANGE: 32,
  SKEW: 64,
  DUPLICATE: 128,
  LATE: 256,
  REPLAY: 512,
  SCHEMA: 1024,
} as const;

/** A finding's name, as `HEALTH`'s keys. */
export type HealthFinding = keyof typeof HEALTH;

/** What the registry knows of a series that health judgments use. */
export interface SeriesTraits {
  /** Readings outside [lo, hi] are OUT_OF_RANGE. */
  validRange?: [number, number];
  /** Drift smaller than this, in the channel's unit (the sensor's stated accuracy), is not flagged. */
  driftTolerance?: number;
  /** A running count: spikes, stuck runs and drift are not judged on it. */
  counter?: boolean;
}

/** A batch the kernels cannot take: lengths that differ, a slot out of range, or a batch too large. */
export class AnalyticsError extends Error {
  override name = "AnalyticsError";
}

function checkedCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new AnalyticsError(`${name} must be an integer in [0, 65535], got ${value}`);
  return value;
}

/** Anomaly scores in [0, 1) and health findings for readings of many series, a batch at a time. */
export class AnalyticsKernels {
  /** Bytes of state each series slot takes, over both kernels. */
  readonly stateBytes: number;
  private slots = 0;

  private constructor(private readonly wasm: AnalyticsExports, options: AnalyticsOptions) {
    this.stateBytes = (wasm.STATE_BYTES.value as number) + (wasm.HEALTH_STATE_BYTES.value as number);
    wasm.configureNovelty(options.learnReadings, options.suppressReadings);
    wasm.configureHealth(options.healthLearnReadings ?? options.learnReadings, options.skewToleranceUs ?? 5e6);
  }

  static async create(options: AnalyticsOptions): Promise<AnalyticsKernels> {
    checkedCount("learnReadings", options.learnReadings);
    checkedCount("suppressReadings", options.suppressReadings);
    if (options.healthLearnReadings !== undefined) checkedCount("healthLearnReadings", options.healthLearnReadings);
    if (options.skewToleranceUs !== undefined && !(options.skewToleranceUs > 0)) throw new AnalyticsError(`skewToleranceUs must be positive, got ${options.skewToleranceUs}`);
    return new AnalyticsKernels(await instantiateAnalytics(options.module), options);
  }

  /** Series slots the kernels hold state for. */
  get series(): number {
    return this.slots;
  }

  /** Checks the columns, makes room, writes slots, timestamps and values; returns the batch length. */
  private load(slots: Int32Array, ts: Float64Array, values: Float64Array, outLength: number): number {
    const n = values.length;
    if (slots.length !== n || ts.length !== n || outLength < n) {
      throw new AnalyticsError(`batch columns differ in length: ${slots.length} slots, ${ts.length} timestamps, ${n} values, ${outLength} outputs`);
    }
    this.hold(this.slots, n);
    this.#copy(slots, ts, values);
    return n;
  }

  #copy(slots: Int32Array, ts: Float64Array, values: Float64Array): void {
    const w = this.wasm;
    const n = values.length;
    new Int32Array(w.memory.buffer, w.seriesPtr(), n).set(slots);
    new Float64Array(w.memory.buffer, w.timestampsPtr(), n).set(ts);
    new Float64Array(w.memory.buffer, w.valuesPtr(), n).set(values);
  }

  /**
   * Runs a kernel call over the loaded batch. The kernel checks every slot against the slots held, so
   * the host scans the slots only when it refuses: to make room for new series (copying the batch again,
   * since the regions may have moved) or to name a bad slot.
   */
  #run(slots: Int32Array, ts: Float64Array, values: Float64Array, call: () => number, reload: () => void = () => {}): void {
    if (call() >= 0) return;
    let highest = -1;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (!(s >= 0)) throw new AnalyticsError(`reading ${i} has series slot ${s}`);
      if (s > highest) highest = s;
    }
    this.hold(highest + 1, values.length);
    this.#copy(slots, ts, values);
    reload();
    if (call() < 0) throw new Error("BUG: the analytics kernel refused a batch the host checked");
  }

  private hold(series: number, points: number): void {
    const w = this.wasm;
    if (w.ensure(points, Math.max(series, this.slots)) < 0) {
      throw new AnalyticsError(`batch of ${points} readings over ${series} series is beyond the kernels' limits (${w.MAX_BATCH.value} readings, ${w.MAX_SERIES.value} series)`);
    }
    this.slots = Math.max(this.slots, series);
  }

  /**
   * Anomaly scores: reading i belongs to series slot `slots[i]` (slots grow on demand), has timestamp
   * `ts[i]` in µs and value `values[i]`. A slot's readings must come in time order, across batches too.
   */
  score(slots: Int32Array, ts: Float64Array, values: Float64Array, out = new Float64Array(values.length)): Float64Array {
    const n = this.load(slots, ts, values, out.length);
    const w = this.wasm;
    this.#run(slots, ts, values, () => w.scoreBatch(n));
    out.set(new Float64Array(w.memory.buffer, w.scoresPtr(), n));
    return out;
  }

  /**
   * Health findings (bits of `HEALTH`): as `score()`, plus each reading's arrival time (µs) and, where
   * the host knows it, its peers' level (the same channel's mean over the device's zone), against which
   * drift is judged; without it a series is judged against its own start.
   */
  judge(slots: Int32Array, ts: Float64Array, arrival: Float64Array, values: Float64Array, reference?: Float64Array, out = new Uint32Array(values.length)): Uint32Array {
    const n = values.length;
    if (arrival.length !== n || (reference !== undefined && reference.length !== n)) {
      throw new AnalyticsError(`batch columns differ in length: ${arrival.length} arrivals, ${reference?.length} references, ${n} values`);
    }
    this.load(slots, ts, values, out.length);
    const w = this.wasm;
    const extras = () => {
      new Float64Array(w.memory.buffer, w.arrivalsPtr(), n).set(arrival);
      const refs = new Float64Array(w.memory.buffer, w.referencesPtr(), n);
      if (reference) refs.set(reference);
      else refs.fill(NaN);
    };
    extras();
    this.#run(slots, ts, values, () => w.judgeBatch(n), extras);
    out.set(new Uint32Array(w.memory.buffer, w.findingsPtr(), n));
    return out;
  }

  /**
   * Series gone silent by `now` (µs): one GAP finding per slot whose silence is longer than its gap
   * allowance (six learned intervals, at least 3 s), reported once per silence. Run it on a timer.
   */
  sweepSilence(now: number, out = new Uint32Array(this.slots)): Uint32Array {
    const w = this.wasm;
    this.hold(this.slots, this.slots);
    const n = w.sweepBatch(now);
    if (n < 0) throw new Error("BUG: the analytics workspace is smaller than its series");
    out.set(new Uint32Array(w.memory.buffer, w.findingsPtr(), n).subarray(0, Math.min(n, out.length)));
    return out;
  }

  /** Both at once, writing the shared columns into the module once: the worker's path. */
  analyze(slots: Int32Array, ts: Float64Array, arrival: Float64Array, values: Float64Array, reference: Float64Array, scores: Float64Array, findings: Uint32Array): void {
    const n = values.length;
    if (arrival.length !== n || reference.length !== n || scores.length < n) {
      throw new AnalyticsError(`batch columns differ in length: ${arrival.length} arrivals, ${reference.length} references, ${n} values, ${scores.length} scores`);
    }
    this.load(slots, ts, values, findings.length);
    const w = this.wasm;
    const extras = () => {
      new Float64Array(w.memory.buffer, w.arrivalsPtr(), n).set(arrival);
      new Float64Array(w.memory.buffer, w.referencesPtr(), n).set(reference);
    };
    extras();
    this.#run(slots, ts, values, () => w.scoreBatch(n), extras);
    if (w.judgeBatch(n) < 0) throw new Error("BUG: the analytics kernel refused a batch the host checked");
    scores.set(new Float64Array(w.memory.buffer, w.scoresPtr(), n));
    findings.set(new Uint32Array(w.memory.buffer, w.findingsPtr(), n));
  }

  /** Tells the health kernel what the registry knows of a series. Call again after a reset. */
  describeSeries(slot: number, traits: SeriesTraits): void {
    if (!Number.isInteger(slot) || slot < 0) throw new AnalyticsError(`series slot ${slot}`);
    const [lo, hi] = traits.validRange ?? [-Infinity, Infinity];
    if (!(lo <= hi)) throw new AnalyticsError(`valid range [${lo}, ${hi}] is empty`);
    this.hold(slot + 1, 0);
    this.wasm.describe(slot, lo, hi, traits.driftTolerance ?? 0, traits.counter ? 1 : 0);
  }

  /** Forgets what slots [first, first + count) have learned, so they can be given to new series. */
  reset(first: number, count: number): void {
    if (this.wasm.resetSeries(first, count) < 0) throw new AnalyticsError(`slots [${first}, ${first + count}) are not all held (${this.slots} slots)`);
  }
}

/** The names of the findings set in `bits`. */
export function findingNames(bits: number): HealthFinding[] {
  return (Object.keys(HEALTH) as HealthFinding[]).filter((k) => (bits & HEALTH[k]) !== 0);
}

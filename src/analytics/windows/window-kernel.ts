// One window definition's kernel (assembly/windows) for many series at once. State lives in WebAssembly
// memory per series slot (a ring of panes) and per device slot (the watermark); the host hands whole
// batches over and gets a flag per reading and the windows that fired back.
import { instantiateWindows, type WindowExports } from "./module.js";
import { isPercentile, readRecord, writeRecord, type WindowState } from "./window-state.js";
import type { WindowSpec } from "./window-spec.js";

/** What happened to each reading of a batch (`WindowBatch.flags`). */
export const WINDOW_FLAG = {
  /** Older than every window that may still take it: the late side output. */
  LATE: 1,
  /** Late, but within the allowed lateness: its window fired again. */
  UPDATE: 2,
  /** NaN or ±∞ value or timestamp: not aggregated. */
  SKIPPED: 4,
} as const;

/** A batch the kernel cannot take: lengths that differ, or slots out of range. */
export class WindowError extends Error {
  override name = "WindowError";
}

/** A window that fired for one series slot. */
export interface FiredWindow {
  slot: number;
  state: WindowState;
}

export class WindowKernel {
  readonly #wasm: WindowExports;
  readonly #recordBytes: number;
  #series = 0;
  #devices = 0;

  private constructor(wasm: WindowExports) {
    this.#wasm = wasm;
    this.#recordBytes = wasm.RECORD_BYTES.value as number;
  }

  /**
   * A kernel for `spec`. Its panes keep the percentile sketch only when `spec.aggregates` asks for a
   * percentile (or names none): without it a pane is 88 bytes instead of 232 and a reading costs less.
   */
  static async create(
    spec: Pick<WindowSpec, "kind" | "sizeUs" | "slideUs" | "gapUs" | "outOfOrdernessUs" | "allowedLatenessUs" | "idleUs"> & Partial<Pick<WindowSpec, "aggregates">>,
    module?: WebAssembly.Module,
  ): Promise<WindowKernel> {
    const wasm = await instantiateWindows(module);
    const panes = spec.kind === "session" ? 1 : spec.sizeUs / spec.slideUs;
    const sketch = spec.aggregates === undefined || spec.aggregates.some(isPercentile);
    if (wasm.configureWindow(spec.slideUs, panes, spec.kind === "session" ? spec.gapUs : 0, spec.outOfOrdernessUs, spec.allowedLatenessUs, spec.idleUs, sketch ? 1 : 0) < 0) {
      throw new WindowError(`window of ${spec.sizeUs} µs sliding by ${spec.slideUs} µs with ${spec.outOfOrdernessUs + spec.allowedLatenessUs} µs of out-of-orderness and lateness is beyond the kernel's limits (4096 panes)`);
    }
    return new WindowKernel(wasm);
  }

  /** Bytes of state each series slot takes. */
  get stateBytes(): number {
    return this.#wasm.stateBytes();
  }

  #hold(points: number, series: number, devices: number): void {
    this.#series = Math.max(this.#series, series);
    this.#devices = Math.max(this.#devices, devices);
    if (this.#wasm.ensure(points, this.#series, this.#devices) < 0) {
      throw new WindowError(`batch of ${points} readings over ${series} series of ${devices} devices is beyond the kernel's limits (${this.#wasm.MAX_BATCH.value} readings, ${this.#wasm.MAX_SERIES.value} series)`);
    }
  }

  #fired(count: number): FiredWindow[] {
    if (count < 0) throw new Error("BUG: the window kernel refused a batch the host checked");
    const w = this.#wasm;
    // One copy of the results region per call; each window's bins are a view into it.
    const copy = new Uint8Array(w.memory.buffer, w.resultsPtr(), count * this.#recordBytes).slice().buffer;
    const f64 = new Float64Array(copy);
    const u32 = new Uint32Array(copy);
    const out: FiredWindow[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = readRecord(f64, u32, this.#recordBytes, i);
    return out;
  }

  /**
   * Takes a batch: reading i belongs to series slot `slots[i]` of device slot `devices[i]` (slots grow on
   * demand), has event time `ts[i]` (µs) and value `values[i]`; the batch arrived at `arrival` (µs).
   * Writes a WINDOW_FLAG per reading into `flags` and returns the windows that fired.
   */
  push(slots: Int32Array, devices: Int32Array, ts: Float64Array, values: Float64Array, arrival: number, flags: Uint8Array): FiredWindow[] {
    const n = values.length;
    if (slots.length !== n || devices.length !== n || ts.length !== n || flags.length < n) {
      throw new WindowError(`batch columns differ in length: ${slots.length} slots, ${devices.length} devices, ${ts.length} timestamps, ${n} values, ${flags.length} flags`);
    }
    // The kernel checks every slot against those held: the host scans them only when it refuses (new
    // series or devices to make room for, then the batch is copied again; or a bad slot to name).
    this.#hold(n, this.#series, this.#devices);
    this.#copy(slots, devices, ts, values);
    const w = this.#wasm;
    let count = w.windowBatch(n, arrival);
    if (count < 0) {
      let series = 0;
      let devs = 0;
      for (let i = 0; i < n; i++) {
        if (!(slots[i] >= 0 && devices[i] >= 0)) throw new WindowError(`reading ${i} has series slot ${slots[i]} and device slot ${devices[i]}`);
        if (slots[i] >= series) series = slots[i] + 1;
        if (devices[i] >= devs) devs = devices[i] + 1;
      }
      this.#hold(n, series, devs);
      this.#copy(slots, devices, ts, values);
      count = w.windowBatch(n, arrival);
    }
    const fired = this.#fired(count);
    flags.set(new Uint8Array(w.memory.buffer, w.flagsPtr(), n));
    return fired;
  }

  #copy(slots: Int32Array, devices: Int32Array, ts: Float64Array, values: Float64Array): void {
    const w = this.#wasm;
    const n = values.length;
    new Int32Array(w.memory.buffer, w.seriesPtr(), n).set(slots);
    new Int32Array(w.memory.buffer, w.devicesPtr(), n).set(devices);
    new Float64Array(w.memory.buffer, w.timestampsPtr(), n).set(ts);
    new Float64Array(w.memory.buffer, w.valuesPtr(), n).set(values);
  }

  /** Moves idle devices' watermarks on by the clock (`now`, µs) and fires what they passed. Run it on a timer. */
  sweep(now: number): FiredWindow[] {
    return this.#fired(this.#wasm.sweepWindows(now));
  }

  /** Forgets every series' windows and every device's watermark (slots stay held). */
  reset(): void {
    if (this.#series + this.#devices > 0) this.#wasm.forgetAll();
  }

  /** A device slot's watermark (µs; −∞ before its first reading). */
  watermark(device: number): number {
    return device < this.#devices ? this.#wasm.watermarkOf(device) : -Infinity;
  }

  /** Merges window states (of one group) into one, on the kernel's grid. */
  merge(states: readonly WindowState[]): WindowState {
    if (states.length === 0) throw new Error("BUG: merging no window states");
    const w = this.#wasm;
    this.#hold(0, 0, 0);
    w.reserveRecords(2);
    const view = () => [new Float64Array(w.memory.buffer, w.resultsPtr(), this.#recordBytes / 4), new Uint32Array(w.memory.buffer, w.resultsPtr(), this.#recordBytes / 2)] as const;
    writeRecord(...view(), this.#recordBytes, 0, states[0]);
    for (let i = 1; i < states.length; i++) {
      writeRecord(...view(), this.#recordBytes, 1, states[i]);
      w.mergeRecords(0, 1);
    }
    const merged = readRecord(...view(), this.#recordBytes, 0).state;
    return { ...merged, start: states[0].start, end: states[0].end, update: states.some((s) => s.update) };
  }
}

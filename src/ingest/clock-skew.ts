// Device clocks, estimated on arrival and corrected where they are steadily wrong. Each frame gives a
// sample per device: arrival time minus the device's newest timestamp in it (its clock's offset plus
// the network's delay, which is never negative). The smallest sample of a window of frames is the
// estimate; once two windows in a row agree with it (within a jitter bound) and it is beyond the
// tolerance, the device's timestamps are shifted by it. A sample that breaks from the estimate (the
// clock jumped: reset, NTP, a new battery) stops the correction at once and learning starts over:
// below it by more than the jitter (no delay makes a sample smaller), above it by more than the
// tolerance, or above it by more than the jitter several frames in a row.
// Frames whose timestamps run ahead faster than arrival time are a backlog being replayed, not a
// clock: they teach nothing. Runs on the socket thread before validation, so a clock that is hours
// ahead gets its readings accepted (shifted) instead of refused as from the future, once it is known.
import type { FlaggedColumns } from "./batch-builder.js";
import { keptBlocks } from "../pipeline/edge-blocks.js";
import { DeviceNumbers, UNNUMBERED } from "./device-numbers.js";
import { withRoom } from "../archive/numbered-column.js";

/** Frames, and arrival time (µs), an estimation window takes at least. */
const WINDOW = 16;
const WINDOW_US = 10e6;
/** How far the device's clock may run from arrival time's pace over a window (a replay or a clock that is not a clock runs far off it). */
const PACE_TOLERANCE = 0.05;
/** Windows in a row that must agree before a correction is applied. */
const STABLE_WINDOWS = 2;
/** Samples in a row above the estimate (beyond the jitter) that mean the clock fell back. */
const ABOVE_IN_A_ROW = 4;

export interface ClockSkewPolicy {
  /** Shift the timestamps of devices whose skew is stable ("correct"), or only report them ("flag"). */
  mode: "correct" | "flag";
  /** Offsets within this (µs) are left alone. */
  toleranceUs: number;
  /** How far (µs) samples of a steady clock may wander (network delay) before it counts as a jump. */
  jitterUs: number;
}

/** A device's clock as estimated: its offset (arrival − device time, µs), and whether it is being corrected. */
export interface DeviceClockStatus {
  offsetUs: number;
  stable: boolean;
  /** The shift (µs) added to its timestamps now (0: none). */
  correctionUs: number;
  /** Jumps seen since the server started. */
  jumps: number;
}

/**
 * Every device's clock as columns, indexed by device number: a field of an object that holds a
 * non-integer number is a separate heap box, so an object per device made each frame touch about a
 * dozen scattered boxes per device; a gateway's devices have consecutive numbers and share cache lines here.
 */
class ClockColumns {
  estimate = new Float64Array(0);
  windowMin = new Float64Array(0);
  inWindow = new Float64Array(0);
  /** Arrival time and newest device time when the window began. */
  windowArrival = new Float64Array(0);
  windowNewest = new Float64Array(0);
  stableWindows = new Float64Array(0);
  correction = new Float64Array(0);
  above = new Float64Array(0);
  lastArrival = new Float64Array(0);
  lastNewest = new Float64Array(0);
  jumps = new Float64Array(0);

  /** Makes room for device numbers below `n`; new devices start knowing nothing. */
  reserve(n: number): void {
    if (n <= this.estimate.length) return;
    this.estimate = withRoom(this.estimate, n, Infinity);
    this.windowMin = withRoom(this.windowMin, n, Infinity);
    this.inWindow = withRoom(this.inWindow, n, 0);
    this.windowArrival = withRoom(this.windowArrival, n, 0);
    this.windowNewest = withRoom(this.windowNewest, n, 0);
    this.stableWindows = withRoom(this.stableWindows, n, 0);
    this.correction = withRoom(this.correction, n, 0);
    this.above = withRoom(this.above, n, 0);
    this.lastArrival = withRoom(this.lastArrival, n, 0);
    this.lastNewest = withRoom(this.lastNewest, n, -Infinity);
    this.jumps = withRoom(this.jumps, n, 0);
  }
}

export class ClockSkew {
  readonly #policy: ClockSkewPolicy;
  readonly #devices: DeviceNumbers;
  #c = new ClockColumns();
  /** Each device's newest timestamp in the frame being learned from (reused across frames). */
  #newest = new Float64Array(64);
  /** Clock jumps seen, all devices. */
  jumps = 0;
  /** Readings whose timestamps were shifted. */
  corrected = 0;

  /** `devices` numbers device names; pass the one the caller numbers frames with, to share its lookups. */
  constructor(policy: ClockSkewPolicy, devices = new DeviceNumbers()) {
    this.#policy = policy;
    this.#devices = devices;
    devices.onStartOver(() => (this.#c = new ClockColumns()));
  }

  /**
   * Learns from a frame's readings (arrived at `arrival`, µs) and shifts the timestamps of devices being
   * corrected. `numbers`: each dictionary entry's number from the constructor's DeviceNumbers, if the
   * caller has them already (UNNUMBERED devices are left alone).
   */
  apply(cols: FlaggedColumns, arrival: number, numbers = this.#devices.numbersOf(cols.devices)): void {
    const k = cols.devices.length;
    const n = cols.timestamps.length;
    if (this.#newest.length < k) this.#newest = new Float64Array(Math.max(k, 2 * this.#newest.length));
    const newest = this.#newest;
    newest.fill(-Infinity, 0, k);
    for (let i = 0; i < n; i++) {
      const t = cols.timestamps[i];
      if (t > newest[cols.device[i]]) newest[cols.device[i]] = t;
    }
    this.#c.reserve(this.#devices.size);
    let shifts: Float64Array | undefined;
    for (let d = 0; d < k; d++) {
      if (!Number.isFinite(newest[d]) || numbers[d] === UNNUMBERED) continue;
      const correction = this.#observe(numbers[d], arrival, newest[d]);
      if (correction !== 0) (shifts ??= new Float64Array(k))[d] = correction;
    }
    if (!shifts) return;
    const moved = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const s = shifts[cols.device[i]];
      if (s !== 0) {
        cols.timestamps[i] += s;
        moved[i] = 1;
        this.corrected++;
      }
    }
    // Edge blocks carry the device's own timestamps: their rows now travel alone, re-encoded.
    if (cols.blocks) cols.blocks = keptBlocks(cols.blocks, Int32Array.from(moved, (_, i) => i), moved, 0);
  }

  /** What is known of `device`'s clock; undefined before its first frame. */
  status(device: string): DeviceClockStatus | undefined {
    const i = this.#devices.numberOf(device);
    const c = this.#c;
    if (i === undefined || i >= c.estimate.length || !Number.isFinite(c.estimate[i])) return undefined;
    return { offsetUs: c.estimate[i], stable: c.stableWindows[i] >= STABLE_WINDOWS, correctionUs: c.correction[i], jumps: c.jumps[i] };
  }

  /** Learns from device `i`'s newest time in a frame; returns the shift its timestamps get now. */
  #observe(i: number, arrival: number, newest: number): number {
    const c = this.#c;
    const replaying = c.lastArrival[i] > 0 && newest - c.lastNewest[i] > 2 * (arrival - c.lastArrival[i]) + 1e6;
    c.lastArrival[i] = arrival;
    c.lastNewest[i] = Math.max(c.lastNewest[i], newest);
    if (replaying) return c.correction[i];
    const { jitterUs, toleranceUs } = this.#policy;
    const sample = arrival - newest;
    const estimate = c.estimate[i];
    if (Number.isFinite(estimate)) {
      if (sample > estimate + jitterUs) c.above[i]++;
      else c.above[i] = 0;
      if (sample < estimate - jitterUs || sample > estimate + toleranceUs || c.above[i] >= ABOVE_IN_A_ROW) {
        if (c.correction[i] !== 0 || (c.stableWindows[i] >= STABLE_WINDOWS && Math.abs(sample - estimate) > toleranceUs)) {
          c.jumps[i]++;
          this.jumps++;
        }
        c.estimate[i] = Infinity;
        c.correction[i] = 0;
        c.stableWindows[i] = 0;
        c.above[i] = 0;
        c.windowMin[i] = Infinity;
        c.inWindow[i] = 0;
      }
    }
    if (c.inWindow[i] === 0) {
      c.windowArrival[i] = arrival;
      c.windowNewest[i] = newest;
    }
    c.windowMin[i] = Math.min(c.windowMin[i], sample);
    if (++c.inWindow[i] < WINDOW || arrival - c.windowArrival[i] < WINDOW_US) return c.correction[i];
    const pace = (newest - c.windowNewest[i]) / (arrival - c.windowArrival[i]);
    const steady = Math.abs(pace - 1) <= PACE_TOLERANCE && Math.abs(c.windowMin[i] - c.estimate[i]) <= jitterUs;
    c.stableWindows[i] = steady ? c.stableWindows[i] + 1 : 0;
    c.estimate[i] = c.windowMin[i];
    c.windowMin[i] = Infinity;
    c.inWindow[i] = 0;
    if (this.#policy.mode !== "correct" || c.stableWindows[i] < STABLE_WINDOWS) return c.correction[i];
    if (Math.abs(c.estimate[i]) <= toleranceUs) c.correction[i] = 0;
    else if (Math.abs(c.estimate[i] - c.correction[i]) > jitterUs) c.correction[i] = Math.round(c.estimate[i] / 1000) * 1000;
    return c.correction[i];
  }
}

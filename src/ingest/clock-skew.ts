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

interface DeviceClock {
  estimate: number;
  windowMin: number;
  inWindow: number;
  /** Arrival time and newest device time when the window began. */
  windowArrival: number;
  windowNewest: number;
  stableWindows: number;
  correction: number;
  above: number;
  lastArrival: number;
  lastNewest: number;
  jumps: number;
}

export class ClockSkew {
  readonly #policy: ClockSkewPolicy;
  readonly #clocks = new Map<string, DeviceClock>();
  /** Each device's newest timestamp in the frame being learned from (reused across frames). */
  #newest = new Float64Array(64);
  /** Clock jumps seen, all devices. */
  jumps = 0;
  /** Readings whose timestamps were shifted. */
  corrected = 0;

  constructor(policy: ClockSkewPolicy) {
    this.#policy = policy;
  }

  /** Learns from a frame's readings (arrived at `arrival`, µs) and shifts the timestamps of devices being corrected. */
  apply(cols: FlaggedColumns, arrival: number): void {
    const k = cols.devices.length;
    const n = cols.timestamps.length;
    if (this.#newest.length < k) this.#newest = new Float64Array(Math.max(k, 2 * this.#newest.length));
    const newest = this.#newest;
    newest.fill(-Infinity, 0, k);
    for (let i = 0; i < n; i++) {
      const t = cols.timestamps[i];
      if (t > newest[cols.device[i]]) newest[cols.device[i]] = t;
    }
    let shifts: Float64Array | undefined;
    for (let d = 0; d < k; d++) {
      if (!Number.isFinite(newest[d])) continue;
      let clock = this.#clocks.get(cols.devices[d]);
      if (!clock) this.#clocks.set(cols.devices[d], (clock = newClock()));
      this.#observe(clock, arrival, newest[d]);
      if (clock.correction !== 0) (shifts ??= new Float64Array(k))[d] = clock.correction;
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
    const c = this.#clocks.get(device);
    if (!c || !Number.isFinite(c.estimate)) return undefined;
    return { offsetUs: c.estimate, stable: c.stableWindows >= STABLE_WINDOWS, correctionUs: c.correction, jumps: c.jumps };
  }

  #observe(c: DeviceClock, arrival: number, newest: number): void {
    const replaying = c.lastArrival > 0 && newest - c.lastNewest > 2 * (arrival - c.lastArrival) + 1e6;
    c.lastArrival = arrival;
    c.lastNewest = Math.max(c.lastNewest, newest);
    if (replaying) return;
    const { jitterUs, toleranceUs } = this.#policy;
    const sample = arrival - newest;
    if (Number.isFinite(c.estimate)) {
      if (sample > c.estimate + jitterUs) c.above++;
      else c.above = 0;
      if (sample < c.estimate - jitterUs || sample > c.estimate + toleranceUs || c.above >= ABOVE_IN_A_ROW) {
        if (c.correction !== 0 || (c.stableWindows >= STABLE_WINDOWS && Math.abs(sample - c.estimate) > toleranceUs)) {
          c.jumps++;
          this.jumps++;
        }
        c.estimate = Infinity;
        c.correction = 0;
        c.stableWindows = 0;
        c.above = 0;
        c.windowMin = Infinity;
        c.inWindow = 0;
      }
    }
    if (c.inWindow === 0) {
      c.windowArrival = arrival;
      c.windowNewest = newest;
    }
    c.windowMin = Math.min(c.windowMin, sample);
    if (++c.inWindow < WINDOW || arrival - c.windowArrival < WINDOW_US) return;
    const pace = (newest - c.windowNewest) / (arrival - c.windowArrival);
    const steady = Math.abs(pace - 1) <= PACE_TOLERANCE && Math.abs(c.windowMin - c.estimate) <= jitterUs;
    c.stableWindows = steady ? c.stableWindows + 1 : 0;
    c.estimate = c.windowMin;
    c.windowMin = Infinity;
    c.inWindow = 0;
    if (this.#policy.mode !== "correct" || c.stableWindows < STABLE_WINDOWS) return;
    if (Math.abs(c.estimate) <= toleranceUs) c.correction = 0;
    else if (Math.abs(c.estimate - c.correction) > jitterUs) c.correction = Math.round(c.estimate / 1000) * 1000;
  }
}

function newClock(): DeviceClock {
  return { estimate: Infinity, windowMin: Infinity, inWindow: 0, windowArrival: 0, windowNewest: 0, stableWindows: 0, correction: 0, above: 0, lastArrival: 0, lastNewest: -Infinity, jumps: 0 };
}

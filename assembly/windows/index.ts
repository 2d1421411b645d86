// The window module's exports: the host configures one window definition per instance, sizes the
// workspace, writes a batch through views over memory.buffer, makes one call per batch (or sweep) and
// reads back a flag per reading and the windows that fired, as fixed-size records.
import * as W from "./workspace";
import { mergePane, COUNT } from "./pane";
import { growTo } from "../memory/grow";
import { assignBatch } from "./assign";

export { ensure, forgetAll, MAX_BATCH, MAX_SERIES, RECORD_BYTES } from "./workspace";
export { configureWindow, sweepWindows, LATE, UPDATE, SKIPPED } from "./assign";

export function seriesPtr(): usize {
  return W.seriesBuf;
}
export function devicesPtr(): usize {
  return W.deviceBuf;
}
export function timestampsPtr(): usize {
  return W.tsBuf;
}
export function valuesPtr(): usize {
  return W.valueBuf;
}
export function flagsPtr(): usize {
  return W.flagsBuf;
}
export function resultsPtr(): usize {
  return W.resultsBuf;
}

/** Bytes of state per series for the configured window. */
export function stateBytes(): i32 {
  return <i32>W.seriesBytes;
}

/** Windows for the first `n` readings of the batch region (see assignBatch); −1 when a slot is out of range. */
export function windowBatch(n: i32, arrival: f64): i32 {
  return slotsInRange(n) ? assignBatch(n, arrival) : -1;
}

/** The watermark of device slot `device` (µs; −∞ before its first reading). */
export function watermarkOf(device: i32): f64 {
  if (device < 0 || device >= W.deviceCap) return NaN;
  return load<f64>(W.deviceStates + <usize>device * W.DEVICE_BYTES + W.WATERMARK);
}

function slotsInRange(n: i32): bool {
  if (n < 0 || n > W.pointCap) return false;
  for (let i = 0; i < n; i++) {
    // Unsigned: a negative slot is a huge one.
    const s = load<u32>(W.seriesBuf + (<usize>i << 2));
    const d = load<u32>(W.deviceBuf + (<usize>i << 2));
    if ((s >= <u32>W.seriesCap) | (d >= <u32>W.deviceCap)) return false;
  }
  return true;
}

/** Makes room for `count` records in the results region (for mergeRecords). */
export function reserveRecords(count: i32): void {
  growTo(W.resultsBuf + <usize>count * W.RECORD_BYTES);
}

/** Merges record `src` into record `dst` of the results region (groups of series; src may be coarsened). */
export function mergeRecords(dst: i32, src: i32): void {
  const a = W.resultsBuf + <usize>dst * W.RECORD_BYTES + 32 - COUNT;
  const b = W.resultsBuf + <usize>src * W.RECORD_BYTES + 32 - COUNT;
  mergePane(a, b);
}

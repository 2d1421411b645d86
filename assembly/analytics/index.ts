// The analytics module's exports: the host sizes the workspace, writes a batch of readings through views
// over memory.buffer, makes one call per batch and kernel, and reads the results back.
import * as W from "./workspace";
import { scoreNovelty, resetNovelty, STATE_BYTES } from "./novelty";
import { judgeHealth, resetHealth, describeSeries, sweepSilence, HEALTH_STATE_BYTES } from "./health";

export { ensure, MAX_BATCH, MAX_SERIES } from "./workspace";
export { configureNovelty, STATE_BYTES } from "./novelty";
export { configureHealth, HEALTH_STATE_BYTES } from "./health";

export function seriesPtr(): usize {
  return W.seriesBuf;
}
export function timestampsPtr(): usize {
  return W.tsBuf;
}
export function arrivalsPtr(): usize {
  return W.arrivalBuf;
}
export function valuesPtr(): usize {
  return W.valueBuf;
}
export function referencesPtr(): usize {
  return W.referenceBuf;
}
export function scoresPtr(): usize {
  return W.scoreBuf;
}
export function findingsPtr(): usize {
  return W.findingsBuf;
}

function slotsInRange(n: i32): bool {
  if (n < 0 || n > W.pointCap) return false;
  for (let i = 0; i < n; i++) {
    // Unsigned: a negative slot is a huge one.
    if (load<u32>(W.seriesBuf + (<usize>i << 2)) >= <u32>W.seriesCap) return false;
  }
  return true;
}

/** Anomaly scores for the first `n` readings of the batch region; −1 when a series slot is out of range. */
export function scoreBatch(n: i32): i32 {
  if (!slotsInRange(n)) return -1;
  scoreNovelty(W.noveltyStates, W.seriesBuf, W.tsBuf, W.valueBuf, W.scoreBuf, n);
  return 0;
}

/** Health findings for the first `n` readings of the batch region; −1 when a series slot is out of range. */
export function judgeBatch(n: i32): i32 {
  if (!slotsInRange(n)) return -1;
  judgeHealth(W.healthStates, W.seriesBuf, W.tsBuf, W.arrivalBuf, W.valueBuf, W.referenceBuf, W.findingsBuf, n);
  return 0;
}

/** Silence findings for every held slot into the findings region (sized for them by ensure). */
export function sweepBatch(now: f64): i32 {
  if (W.seriesCap > W.pointCap) return -1;
  sweepSilence(W.healthStates, W.seriesCap, now, W.findingsBuf);
  return W.seriesCap;
}

/** Describes series slot `slot` (valid range, drift tolerance, counter or not); −1 when the slot is not held. */
export function describe(slot: i32, lo: f64, hi: f64, driftTolerance: f64, counter: i32): i32 {
  if (slot < 0 || slot >= W.seriesCap) return -1;
  describeSeries(W.healthStates + <usize>slot * HEALTH_STATE_BYTES, lo, hi, driftTolerance, counter != 0);
  return 0;
}

/** Forgets what series slots [first, first + count) have learned, in every kernel. */
export function resetSeries(first: i32, count: i32): i32 {
  if (first < 0 || count < 0 || first + count > W.seriesCap) return -1;
  resetNovelty(W.noveltyStates + <usize>first * STATE_BYTES, count);
  resetHealth(W.healthStates + <usize>first * HEALTH_STATE_BYTES, count);
  return 0;
}

// The analytics module's exports: the host sizes the workspace, writes a batch of readings through views
// over memory.buffer, makes one call per batch, and reads the scores back.
import * as W from "./workspace";
import { scoreNovelty, resetNovelty, STATE_BYTES } from "./novelty";

export { ensure, MAX_BATCH, MAX_SERIES } from "./workspace";
export { configureNovelty, STATE_BYTES } from "./novelty";

export function seriesPtr(): usize {
  return W.seriesBuf;
}
export function timestampsPtr(): usize {
  return W.tsBuf;
}
export function valuesPtr(): usize {
  return W.valueBuf;
}
export function scoresPtr(): usize {
  return W.scoreBuf;
}

/** Scores the first `n` readings of the batch region; returns −1 when a series slot is out of range. */
export function scoreBatch(n: i32): i32 {
  if (n < 0 || n > W.pointCap) return -1;
  for (let i = 0; i < n; i++) {
    const slot = load<i32>(W.seriesBuf + (<usize>i << 2));
    if (slot < 0 || slot >= W.seriesCap) return -1;
  }
  scoreNovelty(W.states, W.seriesBuf, W.tsBuf, W.valueBuf, W.scoreBuf, n);
  return 0;
}

/** Forgets what series slots [first, first + count) have learned. */
export function resetSeries(first: i32, count: i32): i32 {
  if (first < 0 || count < 0 || first + count > W.seriesCap) return -1;
  resetNovelty(W.states + <usize>first * STATE_BYTES, count);
  return 0;
}

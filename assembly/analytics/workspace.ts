// Owns the analytics module's linear memory: a batch region (series index, timestamp, value and score
// per reading) followed by the per-series states. Growing either keeps every series' state: states are
// moved, never dropped.
import { growTo } from "../memory/grow";
import { STATE_BYTES } from "./novelty";

export let seriesBuf: usize = 0; // i32 per reading: the series' state slot
export let tsBuf: usize = 0; // f64 per reading: timestamp, µs
export let valueBuf: usize = 0; // f64 per reading
export let scoreBuf: usize = 0; // f64 per reading: output
export let states: usize = 0;
export let pointCap: i32 = 0;
export let seriesCap: i32 = 0;

/** Largest batch, in readings, and the most series one module instance holds. */
export const MAX_BATCH: i32 = 1 << 22;
export const MAX_SERIES: i32 = 1 << 24;

function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * Makes room for batches of `points` readings over `series` series. Returns 0 when nothing moved, 1 when
 * the regions moved (views over memory must be made again), −1 when the request is beyond the limits.
 */
export function ensure(points: i32, series: i32): i32 {
  if (points < 0 || points > MAX_BATCH || series < 0 || series > MAX_SERIES) return -1;
  if (points <= pointCap && series <= seriesCap && states != 0) return 0;
  const cap = max(points, pointCap);
  const slots = max(series, seriesCap);
  const base = align16(__heap_base);
  const ts = align16(base + <usize>cap * 4);
  const newStates = align16(ts + <usize>cap * 24);
  growTo(newStates + <usize>slots * STATE_BYTES);
  if (states != 0 && newStates != states) memory.copy(newStates, states, <usize>seriesCap * STATE_BYTES);
  memory.fill(newStates + <usize>seriesCap * STATE_BYTES, 0, <usize>(slots - seriesCap) * STATE_BYTES);
  seriesBuf = base;
  tsBuf = ts;
  valueBuf = ts + <usize>cap * 8;
  scoreBuf = valueBuf + <usize>cap * 8;
  states = newStates;
  pointCap = cap;
  seriesCap = slots;
  return 1;
}

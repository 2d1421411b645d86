// Owns the analytics module's linear memory: a batch region (columns in, columns out, one row per
// reading) followed by the per-series states of each kernel. Growing either keeps every series' state:
// states are moved, never dropped.
import { growTo } from "../memory/grow";
import { STATE_BYTES } from "./novelty";
import { HEALTH_STATE_BYTES, resetHealth } from "./health";

export let seriesBuf: usize = 0; // i32 per reading: the series' state slot
export let tsBuf: usize = 0; // f64 per reading: device timestamp, µs
export let arrivalBuf: usize = 0; // f64 per reading: arrival time, µs
export let valueBuf: usize = 0; // f64 per reading
export let referenceBuf: usize = 0; // f64 per reading: the peers' level, NaN for none
export let scoreBuf: usize = 0; // f64 per reading: anomaly score out
export let findingsBuf: usize = 0; // u32 per reading: health findings out
export let noveltyStates: usize = 0;
export let healthStates: usize = 0;
export let pointCap: i32 = 0;
export let seriesCap: i32 = 0;

/** Largest batch, in readings, and the most series one module instance holds. */
export const MAX_BATCH: i32 = 1 << 22;
export const MAX_SERIES: i32 = 1 << 22;

function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * Makes room for batches of `points` readings over `series` series. Returns 0 when nothing moved, 1 when
 * the regions moved (views over memory must be made again), −1 when the request is beyond the limits.
 */
export function ensure(points: i32, series: i32): i32 {
  if (points < 0 || points > MAX_BATCH || series < 0 || series > MAX_SERIES) return -1;
  if (points <= pointCap && series <= seriesCap && noveltyStates != 0) return 0;
  const cap = <usize>max(points, pointCap);
  const slots = max(series, seriesCap);
  const base = align16(__heap_base);
  const ts = align16(base + cap * 4);
  const findings = ts + cap * 40;
  const novelty = align16(findings + cap * 4);
  const health = novelty + <usize>slots * STATE_BYTES;
  growTo(health + <usize>slots * HEALTH_STATE_BYTES);
  // Health first: its new place is past everything old, and novelty's new place may cover its old one.
  if (healthStates != 0) memory.copy(health, healthStates, <usize>seriesCap * HEALTH_STATE_BYTES);
  if (noveltyStates != 0) memory.copy(novelty, noveltyStates, <usize>seriesCap * STATE_BYTES);
  memory.fill(novelty + <usize>seriesCap * STATE_BYTES, 0, <usize>(slots - seriesCap) * STATE_BYTES);
  resetHealth(health + <usize>seriesCap * HEALTH_STATE_BYTES, slots - seriesCap);
  seriesBuf = base;
  tsBuf = ts;
  arrivalBuf = ts + cap * 8;
  valueBuf = ts + cap * 16;
  referenceBuf = ts + cap * 24;
  scoreBuf = ts + cap * 32;
  findingsBuf = findings;
  noveltyStates = novelty;
  healthStates = health;
  pointCap = <i32>cap;
  seriesCap = slots;
  return 1;
}

// A pane: the mergeable aggregate of the readings of one series in one stretch of event time. Count,
// sum, min, max, mean and M2 (numerically stable variance, merged with Chan's formula), the earliest
// and latest reading by timestamp (for first/last and rate of change), and a 32-bin sketch.
// A pane that is filling holds shifted sums instead of sum, mean and M2: its first value K and the sums
// of (v − K) and (v − K)², which take no division per reading and stay accurate while K is near the
// mean (the shifted-data algorithm); `standardize` turns it into the merged form when its windows fire.
// The sketch is an equal-width histogram on a power-of-two grid: bin i holds values in
// [(base + i) / scale, (base + i + 1) / scale). It starts fine (about 1/1000 of the first value, or
// twice as fine as the pane it replaces in the series' ring ended, whichever is coarser, so a series' panes mostly share one
// grid) and halves its resolution whenever a value falls outside, so two sketches always merge exactly
// onto the coarser grid and a quantile read from it is off by at most one bin width.

export const PANE_BYTES: usize = 232;
export const BINS: i32 = 32;

// Field offsets (f64 unless noted).
export const ID = 0; // pane index (floor(ts / pane length)), or the session's number
export const COUNT = 8;
export const SUM = 16;
export const MIN = 24;
export const MAX = 32;
export const MEAN = 40;
export const M2 = 48;
// The same three fields in a filling pane: Σ(v − K), K and Σ(v − K)².
export const D1 = SUM;
export const SHIFT = MEAN;
export const D2 = M2;
export const FIRST_TS = 56;
export const FIRST = 64;
export const LAST_TS = 72;
export const LAST = 80;
// The sketch (SCALE, BASE and the bins) exists only in the panes of a window that keeps it.
export const SCALE = 88; // bins per value unit: a power of two
export const BASE = 96; // grid index of bin 0
export const BIN0 = 104; // u32 × 32

/** Whether panes keep the sketch (only percentiles need it): without, a pane ends at SCALE (88 bytes). */
let sketching = true;
/** Bytes of a pane in a series' ring. */
export let paneBytes: usize = PANE_BYTES;

/** Turns the sketch on or off; call before the first pane exists (it fixes the state size). */
export function setSketching(on: bool): void {
  sketching = on;
  paneBytes = on ? PANE_BYTES : SCALE;
}

/**
 * An empty pane with index `id`. Its sketch starts on the grid the pane it replaces ended on, twice as
 * fine when those values would have fitted the finer grid (none: 0).
 */
export function clearPane(p: usize, id: f64): void {
  if (!sketching) {
    memory.fill(p, 0, paneBytes);
    store<f64>(p + ID, id);
    return;
  }
  let scale = load<f64>(p + SCALE);
  if (load<f64>(p + COUNT) > 0 && highest(p) - lowest(p) < <f64>(BINS / 2 - 1)) scale *= 2;
  memory.fill(p, 0, paneBytes);
  store<f64>(p + ID, id);
  store<f64>(p + SCALE, scale);
}

/** 2^(10 − exponent of |v|): about a thousand bins per unit of the value's own size. */
function firstScale(v: f64): f64 {
  let e = <i32>((reinterpret<u64>(v) >> 52) & 0x7ff) - 1023;
  if (v == 0 || e < -1000) e = -10;
  const k = min(1000, 10 - e);
  return reinterpret<f64>(<u64>(1023 + k) << 52);
}

/** Adds one finite reading to a filling pane. */
// @ts-ignore: decorator
@inline
export function addReading(p: usize, ts: f64, v: f64): void {
  const n = load<f64>(p + COUNT) + 1;
  store<f64>(p + COUNT, n);
  if (n == 1) {
    store<f64>(p + MIN, v);
    store<f64>(p + MAX, v);
    store<f64>(p + SHIFT, v);
    store<f64>(p + FIRST_TS, ts);
    store<f64>(p + FIRST, v);
    store<f64>(p + LAST_TS, ts);
    store<f64>(p + LAST, v);
    if (!sketching) return;
    // Never finer than the first value's own grid (a flat series would refine its panes forever).
    const fine = firstScale(v);
    const inherited = load<f64>(p + SCALE);
    const scale = inherited == 0 ? fine : min(inherited, fine);
    store<f64>(p + SCALE, scale);
    store<f64>(p + BASE, Math.floor(v * scale) - 16);
    store<u32>(p + BIN0 + 64, 1);
    return;
  }
  store<f64>(p + MIN, min(load<f64>(p + MIN), v));
  store<f64>(p + MAX, max(load<f64>(p + MAX), v));
  const d = v - load<f64>(p + SHIFT);
  store<f64>(p + D1, load<f64>(p + D1) + d);
  store<f64>(p + D2, load<f64>(p + D2) + d * d);
  if (ts < load<f64>(p + FIRST_TS)) {
    store<f64>(p + FIRST_TS, ts);
    store<f64>(p + FIRST, v);
  }
  if (ts >= load<f64>(p + LAST_TS)) {
    store<f64>(p + LAST_TS, ts);
    store<f64>(p + LAST, v);
  }
  if (!sketching) return;
  const k = Math.floor(v * load<f64>(p + SCALE)) - load<f64>(p + BASE);
  if (k >= 0 && k < <f64>BINS) {
    const at = p + BIN0 + (<usize>(<i32>k) << 2);
    store<u32>(at, load<u32>(at) + 1);
  } else {
    fitValue(p, v);
    const k2 = <i32>(Math.floor(v * load<f64>(p + SCALE)) - load<f64>(p + BASE));
    const at = p + BIN0 + (<usize>k2 << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
}

/** Writes filling pane `src` into `dst` (from COUNT on) in the merged form: sum, mean and M2. */
export function standardize(dst: usize, src: usize): void {
  memory.copy(dst + COUNT, src + COUNT, paneBytes - COUNT);
  const n = load<f64>(src + COUNT);
  if (n == 0) return;
  const k = load<f64>(src + SHIFT);
  const d1 = load<f64>(src + D1);
  store<f64>(dst + SUM, n * k + d1);
  store<f64>(dst + MEAN, k + d1 / n);
  store<f64>(dst + M2, max(0, load<f64>(src + D2) - (d1 * d1) / n));
}

/**
 * Lowest and highest occupied grid index of a pane that holds readings: the cells of its smallest and
 * largest value (v · scale is exact, scale being a power of two, so these are the bins they were counted in).
 */
// @ts-ignore: decorator
@inline
function lowest(p: usize): f64 {
  return Math.floor(load<f64>(p + MIN) * load<f64>(p + SCALE));
}

// @ts-ignore: decorator
@inline
function highest(p: usize): f64 {
  return Math.floor(load<f64>(p + MAX) * load<f64>(p + SCALE));
}

/** Halves the sketch's resolution in place: neighbouring grid cells (2c, 2c + 1) become cell c. */
function coarsen(p: usize): void {
  const base = load<f64>(p + BASE);
  const newBase = Math.floor(base / 2);
  const bins = p + BIN0;
  // Bin i is cell base + i; it lands in new bin (i + odd) / 2, where odd says base is odd.
  const odd = <i32>(base - 2 * newBase);
  let top: i32;
  if (odd == 0) {
    for (let j = 0; j < BINS / 2; j++) {
      store<u32>(bins + (<usize>j << 2), load<u32>(bins + (<usize>(2 * j) << 2)) + load<u32>(bins + (<usize>(2 * j + 1) << 2)));
    }
    top = BINS / 2;
  } else {
    for (let j = 1; j < BINS / 2; j++) {
      store<u32>(bins + (<usize>j << 2), load<u32>(bins + (<usize>(2 * j - 1) << 2)) + load<u32>(bins + (<usize>(2 * j) << 2)));
    }
    store<u32>(bins + (<usize>(BINS / 2) << 2), load<u32>(bins + (<usize>(BINS - 1) << 2)));
    top = BINS / 2 + 1;
  }
  memory.fill(bins + (<usize>top << 2), 0, <usize>(BINS - top) << 2);
  store<f64>(p + BASE, newBase);
  store<f64>(p + SCALE, load<f64>(p + SCALE) * 0.5);
}

/**
 * Moves the window of 32 bins so that grid indices [lo, hi] (hi − lo < 32) all lie inside it, centred
 * when it has to move (a drifting series then slides now and then, not at every new extreme).
 */
function slideTo(p: usize, lo: f64, hi: f64): void {
  const base = load<f64>(p + BASE);
  if (lo >= base && hi < base + <f64>BINS) return;
  const newBase = lo - Math.floor((<f64>(BINS - 1) - (hi - lo)) / 2);
  const shift = <i32>(base - newBase);
  const bins = p + BIN0;
  if (shift >= BINS || shift <= -BINS) {
    memory.fill(bins, 0, <usize>BINS << 2);
  } else if (shift > 0) {
    memory.copy(bins + (<usize>shift << 2), bins, <usize>(BINS - shift) << 2);
    memory.fill(bins, 0, <usize>shift << 2);
  } else {
    memory.copy(bins, bins + (<usize>-shift << 2), <usize>(BINS + shift) << 2);
    memory.fill(bins + (<usize>(BINS + shift) << 2), 0, <usize>-shift << 2);
  }
  store<f64>(p + BASE, newBase);
}

/** Coarsens and slides until value `v` has a bin. */
function fitValue(p: usize, v: f64): void {
  while (true) {
    const k = Math.floor(v * load<f64>(p + SCALE));
    const lo = min(lowest(p), k);
    const hi = max(highest(p), k);
    if (hi - lo < <f64>BINS) {
      slideTo(p, lo, hi);
      return;
    }
    coarsen(p);
  }
}

/** Adds pane `src` (merged form) into pane `dst` (src's sketch is coarsened in place when it is the finer one). */
export function mergePane(dst: usize, src: usize): void {
  const nb = load<f64>(src + COUNT);
  if (nb == 0) return;
  if (load<f64>(dst + COUNT) == 0) {
    memory.copy(dst + COUNT, src + COUNT, paneBytes - COUNT);
    return;
  }
  mergeStats(dst, src, nb, load<f64>(src + SUM), load<f64>(src + MEAN), load<f64>(src + M2));
  if (sketching) mergeSketch(dst, src);
}

/** Adds filling pane `src` (shifted sums) into pane `dst` (merged form), converting on the way. */
export function mergeFilling(dst: usize, src: usize): void {
  const nb = load<f64>(src + COUNT);
  if (nb == 0) return;
  if (load<f64>(dst + COUNT) == 0) {
    standardize(dst, src);
    return;
  }
  const k = load<f64>(src + SHIFT);
  const d1 = load<f64>(src + D1);
  mergeStats(dst, src, nb, nb * k + d1, k + d1 / nb, max(0, load<f64>(src + D2) - (d1 * d1) / nb));
  if (sketching) mergeSketch(dst, src);
}

/**
 * Adds filling pane `src` into filling pane `dst`, which stays filling (two sessions a reading joined):
 * src's shifted sums are re-based on dst's shift K: Σ(v − Ka) = D1 + n·δ, Σ(v − Ka)² = D2 + 2δ·D1 + n·δ²,
 * with δ = Kb − Ka.
 */
export function mergeFillingInto(dst: usize, src: usize): void {
  const nb = load<f64>(src + COUNT);
  if (nb == 0) return;
  if (load<f64>(dst + COUNT) == 0) {
    memory.copy(dst + COUNT, src + COUNT, paneBytes - COUNT);
    return;
  }
  const delta = load<f64>(src + SHIFT) - load<f64>(dst + SHIFT);
  const d1 = load<f64>(src + D1);
  store<f64>(dst + D1, load<f64>(dst + D1) + d1 + nb * delta);
  store<f64>(dst + D2, load<f64>(dst + D2) + load<f64>(src + D2) + 2 * delta * d1 + nb * delta * delta);
  store<f64>(dst + COUNT, load<f64>(dst + COUNT) + nb);
  mergeExtremes(dst, src);
  if (sketching) mergeSketch(dst, src);
}

/** Chan's merge of count, sum, mean and M2, and the extremes and first/last of `src`, into `dst`. */
// @ts-ignore: decorator
@inline
function mergeStats(dst: usize, src: usize, nb: f64, sum: f64, mean: f64, m2: f64): void {
  const na = load<f64>(dst + COUNT);
  const n = na + nb;
  const ma = load<f64>(dst + MEAN);
  const d = mean - ma;
  store<f64>(dst + COUNT, n);
  store<f64>(dst + SUM, load<f64>(dst + SUM) + sum);
  store<f64>(dst + MEAN, ma + (d * nb) / n);
  store<f64>(dst + M2, load<f64>(dst + M2) + m2 + (d * d * na * nb) / n);
  mergeExtremes(dst, src);
}

/** The extremes and the first and last reading (by timestamp) of `src`, into `dst`. */
// @ts-ignore: decorator
@inline
function mergeExtremes(dst: usize, src: usize): void {
  store<f64>(dst + MIN, min(load<f64>(dst + MIN), load<f64>(src + MIN)));
  store<f64>(dst + MAX, max(load<f64>(dst + MAX), load<f64>(src + MAX)));
  if (load<f64>(src + FIRST_TS) < load<f64>(dst + FIRST_TS)) {
    store<f64>(dst + FIRST_TS, load<f64>(src + FIRST_TS));
    store<f64>(dst + FIRST, load<f64>(src + FIRST));
  }
  if (load<f64>(src + LAST_TS) >= load<f64>(dst + LAST_TS)) {
    store<f64>(dst + LAST_TS, load<f64>(src + LAST_TS));
    store<f64>(dst + LAST, load<f64>(src + LAST));
  }
}

/** Adds `src`'s sketch into `dst`'s, on the coarser grid of the two, four bins at a time where they overlap. */
function mergeSketch(dst: usize, src: usize): void {
  while (load<f64>(dst + SCALE) > load<f64>(src + SCALE)) coarsen(dst);
  while (load<f64>(src + SCALE) > load<f64>(dst + SCALE)) coarsen(src);
  let lo = min(lowest(dst), lowest(src));
  let hi = max(highest(dst), highest(src));
  while (hi - lo >= <f64>BINS) {
    coarsen(dst);
    coarsen(src);
    lo = min(lowest(dst), lowest(src));
    hi = max(highest(dst), highest(src));
  }
  slideTo(dst, lo, hi);
  // Every occupied bin of src lands inside dst's window: only the overlap needs adding.
  const shift = <i32>(load<f64>(src + BASE) - load<f64>(dst + BASE));
  const to = min(BINS, BINS - shift);
  let i = max(0, -shift);
  for (; i + 4 <= to; i += 4) {
    const at = dst + BIN0 + (<usize>(i + shift) << 2);
    v128.store(at, i32x4.add(v128.load(at), v128.load(src + BIN0 + (<usize>i << 2))));
  }
  for (; i < to; i++) {
    const at = dst + BIN0 + (<usize>(i + shift) << 2);
    store<u32>(at, load<u32>(at) + load<u32>(src + BIN0 + (<usize>i << 2)));
  }
}

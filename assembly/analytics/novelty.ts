// Range-novelty anomaly detector, one 144-byte state per series, scored a batch at a time.
// A reading is anomalous in proportion to how far it carries a feature beyond every value that feature
// has taken in the series so far: the value, a short moving mean (level shifts), the absolute deviation
// (bursts of noise), and — for series with a daily rhythm — the value against what this time of day has
// seen before. Dividing by the series' own recent novelty rate keeps noisy series from alerting all day.
// After a detection the series stays quiet for `suppress` readings, so one event raises one score.

/** Bytes of state per series. */
export const STATE_BYTES: i32 = 144;

// Constants tuned on the Numenta Anomaly Benchmark's standard profile (see src/eval/nab/).
const MEAN_RATE: f64 = 0.03; // short moving mean (level shifts)
const DEV_RATE: f64 = 0.3; // absolute-deviation tracker (noise bursts)
const SEASON_RATE: f64 = 0.003; // residual and total variance behind the daily-rhythm gate
const BIN_RATE: f64 = 0.1; // time-of-day bin means
const NOVELTY_RATE: f64 = 0.001; // the series' recent novelty, the yardstick a reading is measured with
const NOVELTY_FLOOR: f64 = 0.0005;
const W_LEVEL: f64 = 1.25;
const W_DEVIATION: f64 = 0.35;
const W_SEASON: f64 = 0.25;
const SEASON_GATE: f64 = 0.4; // share of variance the time of day must explain before it is used
const BIN_READINGS: u64 = 10; // readings a time-of-day bin needs before it is trusted (≤ 15: 4-bit counters)
const WARM: i32 = 32; // readings before any feature is judged
const BINS: i32 = 12; // two-hour bins of the day
const SCORE_HALF: f64 = 0.55; // novelty that maps to score 0.5 (NAB's optimal threshold sits there)
const DAY_US: f64 = 86_400_000_000;
const TINY: f64 = 1e-9;

// Field offsets within a series' state. The value range [LO_VALUE, HI_VALUE] is kept exactly; every
// other level is an f32 offset from LO_VALUE (its precision relative to the range, which is what the
// features are measured in), and the time-of-day bins are u16 fractions of the range. When the range
// widens, offsets are moved and bins re-encoded (rounding bin lows down and highs up).
const COUNT = 0; // u16, saturating: readings seen
const QUIET = 2; // u16: readings left to suppress
const NOVELTY = 4; // f32: recent mean novelty
const LO_VALUE = 8; // f64
const HI_VALUE = 16; // f64
const LO_MEAN = 24; // offsets (f32) from here on
const HI_MEAN = 28;
const MEAN = 32;
const DEV_CENTRE = 36;
const GLOBAL_MEAN = 40;
const LO_DEV = 44; // deviations (f32): not offsets
const HI_DEV = 48;
const DEV = 52;
const RESIDUAL_VAR = 56; // f32
const TOTAL_VAR = 60; // f32
const BIN_COUNTS = 64; // u64: twelve 4-bit saturating counters
const BIN_LO = 72; // u16 × 12
const BIN_HI = 96; // u16 × 12
const BIN_MEAN = 120; // u16 × 12
const CODES: f64 = 65535;

let learn: i32 = 750;
let suppress: i32 = 50;

/** Sets how many readings a series learns from before it may score, and how long a detection silences it. */
export function configureNovelty(learnReadings: i32, suppressReadings: i32): void {
  learn = min(learnReadings, 65535);
  suppress = min(suppressReadings, 65535);
}

/** Puts `count` series states at `states` back to "never seen a reading". */
export function resetNovelty(states: usize, count: i32): void {
  memory.fill(states, 0, <usize>count * STATE_BYTES);
}

function start(s: usize, x: f64): void {
  store<f32>(s + NOVELTY, 0.01);
  store<f64>(s + LO_VALUE, x);
  store<f64>(s + HI_VALUE, x);
  store<f32>(s + LO_MEAN, Infinity);
  store<f32>(s + HI_MEAN, -Infinity);
  store<f32>(s + LO_DEV, Infinity);
  store<f32>(s + HI_DEV, -Infinity);
}

@inline function offset(s: usize, field: usize): f64 {
  return <f64>load<f32>(s + field);
}

/** A bin's value from its code: `perCode` is the range / CODES. */
@inline function decode(s: usize, field: usize, bin: usize, lo: f64, perCode: f64): f64 {
  return lo + <f64>load<u16>(s + field + (bin << 1)) * perCode;
}

/** Stores `v` (within the range) as a bin code, rounded by `round` (floor, ceil or nearest): `codes` is CODES / range. */
@inline function encode(s: usize, field: usize, bin: usize, v: f64, lo: f64, codes: f64, round: i32): void {
  const q = (v - lo) * codes;
  const r = round < 0 ? floor(q) : round > 0 ? ceil(q) : nearest(q);
  store<u16>(s + field + (bin << 1), <u16>min(max(r, 0), CODES));
}

/** CODES / range, or 0 for an empty range (every code then means the range's one value). */
@inline function codesFor(range: f64): f64 {
  return range > 0 ? CODES / range : 0;
}

/** Widens the range from [lo, hi] to [newLo, newHi]: moves the offsets and re-encodes the bins. */
function widen(s: usize, lo: f64, hi: f64, newLo: f64, newHi: f64): void {
  const shift = lo - newLo;
  for (let f = <usize>LO_MEAN; f <= <usize>GLOBAL_MEAN; f += 4) store<f32>(s + f, <f32>(offset(s, f) + shift));
  const perCode = (hi - lo) * (1 / CODES);
  const codes = codesFor(newHi - newLo);
  for (let b: usize = 0; b < <usize>BINS; b++) {
    encode(s, BIN_LO, b, decode(s, BIN_LO, b, lo, perCode), newLo, codes, -1);
    encode(s, BIN_HI, b, decode(s, BIN_HI, b, lo, perCode), newLo, codes, 1);
    encode(s, BIN_MEAN, b, decode(s, BIN_MEAN, b, lo, perCode), newLo, codes, 0);
  }
  store<f64>(s + LO_VALUE, newLo);
  store<f64>(s + HI_VALUE, newHi);
}

@inline function beyond(x: f64, lo: f64, hi: f64, perRange: f64): f64 {
  return max(0, max(x - hi, lo - x) * perRange);
}

/** Scores one reading of the series whose state is at `s`; returns its anomaly score in [0, 1). */
@inline function scoreReading(s: usize, ts: f64, x: f64): f64 {
  const seen = <i32>load<u16>(s + COUNT);
  if (seen == 0) start(s, x);
  // The range before this reading (what its novelty is measured against), then widened to take it.
  const loValue = load<f64>(s + LO_VALUE);
  const hiValue = load<f64>(s + HI_VALUE);
  if (x < loValue || x > hiValue) widen(s, loValue, hiValue, min(loValue, x), max(hiValue, x));
  const lo = load<f64>(s + LO_VALUE);
  const range = load<f64>(s + HI_VALUE) - lo;
  const perCode = range * (1 / CODES);
  const codes = codesFor(range);
  let mean = seen == 0 ? x : lo + offset(s, MEAN);
  let dev = offset(s, DEV);
  if (seen > 0) {
    mean += MEAN_RATE * (x - mean);
    const previous = lo + offset(s, DEV_CENTRE);
    const centre = previous + DEV_RATE * (x - previous);
    dev += DEV_RATE * (abs(x - centre) - dev);
    store<f32>(s + DEV_CENTRE, <f32>(centre - lo));
    store<f32>(s + DEV, <f32>dev);
  } else {
    store<f32>(s + DEV_CENTRE, <f32>(x - lo));
  }
  store<f32>(s + MEAN, <f32>(mean - lo));
  // f64 `%` is a software fmod in WebAssembly; the floor form is exact enough to pick a two-hour bin.
  const days = ts * (1 / DAY_US);
  const bin = <usize>min<i32>(max<i32>(<i32>((days - floor(days)) * <f64>BINS), 0), BINS - 1);
  const counts = load<u64>(s + BIN_COUNTS);
  const binSeen = (counts >> (bin << 2)) & 15;
  const binMean = binSeen == 0 ? x : decode(s, BIN_MEAN, bin, lo, perCode);
  const globalMean = seen == 0 ? x : lo + offset(s, GLOBAL_MEAN);
  let residual = <f64>load<f32>(s + RESIDUAL_VAR);
  let total = <f64>load<f32>(s + TOTAL_VAR);
  if (binSeen > 0) {
    residual += SEASON_RATE * ((x - binMean) * (x - binMean) - residual);
    total += SEASON_RATE * ((x - globalMean) * (x - globalMean) - total);
    store<f32>(s + RESIDUAL_VAR, <f32>residual);
    store<f32>(s + TOTAL_VAR, <f32>total);
  }
  store<f32>(s + GLOBAL_MEAN, <f32>(globalMean + SEASON_RATE * (x - globalMean) - lo));
  encode(s, BIN_MEAN, bin, binSeen == 0 ? x : binMean + BIN_RATE * (x - binMean), lo, codes, 0);

  const loMean = lo + offset(s, LO_MEAN);
  const hiMean = lo + offset(s, HI_MEAN);
  const loDev = offset(s, LO_DEV);
  const hiDev = offset(s, HI_DEV);
  const binLo = binSeen == 0 ? x : decode(s, BIN_LO, bin, lo, perCode);
  const binHi = binSeen == 0 ? x : decode(s, BIN_HI, bin, lo, perCode);
  let novelty: f64 = 0;
  if (seen >= WARM) {
    const perRange = 1 / max(hiValue - loValue, TINY);
    novelty = max(beyond(x, loValue, hiValue, perRange), W_LEVEL * beyond(mean, loMean, hiMean, perRange));
    if (hiDev >= loDev) novelty = max(novelty, W_DEVIATION * max(0, (dev - hiDev) / max(hiDev - loDev, TINY)));
    const explained = total > 0 ? max(0, 1 - residual / total) : 0;
    if (binSeen >= BIN_READINGS && explained >= SEASON_GATE) {
      novelty = max(novelty, W_SEASON * sqrt(explained) * beyond(x, binLo, binHi, perRange));
    }
    store<f32>(s + LO_DEV, <f32>min(loDev, dev));
    store<f32>(s + HI_DEV, <f32>max(hiDev, dev));
  }
  store<f32>(s + LO_MEAN, <f32>(min(loMean, mean) - lo));
  store<f32>(s + HI_MEAN, <f32>(max(hiMean, mean) - lo));
  if (binSeen == 0 || x < binLo) encode(s, BIN_LO, bin, x, lo, codes, -1);
  if (binSeen == 0 || x > binHi) encode(s, BIN_HI, bin, x, lo, codes, 1);
  if (binSeen < 15) store<u64>(s + BIN_COUNTS, counts + (<u64>1 << (bin << 2)));

  const yardstick = <f64>load<f32>(s + NOVELTY);
  const relative = novelty / (yardstick + NOVELTY_FLOOR);
  if (seen >= WARM) store<f32>(s + NOVELTY, <f32>(yardstick + NOVELTY_RATE * (min(novelty, 1) - yardstick)));
  if (seen < 65535) store<u16>(s + COUNT, <u16>(seen + 1));
  const quiet = <i32>load<u16>(s + QUIET);
  if (quiet > 0) {
    store<u16>(s + QUIET, <u16>(quiet - 1));
    return 0;
  }
  if (relative > 0 && seen >= learn) {
    store<u16>(s + QUIET, <u16>suppress);
    return relative / (relative + SCORE_HALF);
  }
  return 0;
}

/**
 * Scores `n` readings: reading i belongs to the series whose state is `states + series[i] * STATE_BYTES`,
 * has timestamp `ts[i]` (µs) and value `values[i]`; its score goes to `scores[i]`. A series' readings must
 * come in time order. Readings that are not finite score 0 and leave the state as it was.
 */
export function scoreNovelty(states: usize, series: usize, ts: usize, values: usize, scores: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const k = <usize>i;
    const x = load<f64>(values + (k << 3));
    let score: f64 = 0;
    if (isFinite(x)) score = scoreReading(states + <usize>load<i32>(series + (k << 2)) * STATE_BYTES, load<f64>(ts + (k << 3)), x);
    store<f64>(scores + (k << 3), score);
  }
}

// Sensor health, one 112-byte state per series, judged a batch at a time. Each reading gets a bit set
// of findings: events (a spike confirmed when the value comes back, a gap before this reading, a
// duplicate or late timestamp) and conditions that hold while they last (stuck, reporting-rate change,
// drift against the series' own baseline or its peers, out of range, clock skew, backlog replay).
// Gaps and rates are judged on arrival time, so a device clock that jumps is skew, not a gap.

/** Bytes of state per series. */
export const HEALTH_STATE_BYTES: i32 = 112;

export const SPIKE: u32 = 1;
export const STUCK: u32 = 2;
export const GAP: u32 = 4;
export const RATE: u32 = 8;
export const DRIFT: u32 = 16;
export const OUT_OF_RANGE: u32 = 32;
export const SKEW: u32 = 64;
export const DUPLICATE: u32 = 128;
export const LATE: u32 = 256;
export const REPLAY: u32 = 512;
const PENDING_SPIKE: u32 = 1 << 16; // internal: the last reading left the band; is this one back?
const SILENT: u32 = 1 << 17; // internal: a sweep already reported this series' silence

const MEAN_RATE: f64 = 0.05; // level and spread a spike is judged against
const REPEAT_RATE: f64 = 0.01; // how often the value normally repeats
const FAST_INTERVAL: f64 = 0.1;
const SLOW_INTERVAL: f64 = 0.005;
const OFFSET_RATE: f64 = 0.05;
const DRIFT_RATE: f64 = 1.0 / 300; // the slow mean of the residual against the baseline or peers
const SPIKE_BAND: f64 = 10; // spreads a reading must leave the level by to be a spike candidate
const RETURN_BAND: f64 = 4; // … and the next one must be back within
const STUCK_CHANCE: f64 = 1e-7; // a run of repeats less likely than this under the learned repeat rate is stuck
const LOG_STUCK_CHANCE: f64 = Math.log(STUCK_CHANCE);
const MIN_STUCK_RUN: u32 = 8;
const GAP_FACTOR: f64 = 6; // arrival interval beyond this many learned intervals is a gap
const MIN_GAP_US: f64 = 3e6;
const RATE_FACTOR: f64 = 1.8; // recent interval beyond this factor of the learned one, either way
const DRIFT_FACTOR: f64 = 2.5; // slow residual beyond this many times its widest swing over the baseline stretch …
const DRIFT_NOISE: f64 = 0.1; // … and beyond this many value spreads (8 × the slow mean's own noise for white noise)
const DRIFT_FLOOR: f64 = 1e-9;
const DRIFT_BASELINE: u32 = 5; // the drift baseline: the slow residual over 5 × learn readings once learned

let learn: u32 = 600;
let skewTolerance: f64 = 5e6;

/** Readings a series learns from before conditions other than range and timestamps are judged; the clock skew tolerated (µs). */
export function configureHealth(learnReadings: i32, skewToleranceUs: f64): void {
  learn = <u32>max(learnReadings, 16);
  skewTolerance = skewToleranceUs;
}

// Field offsets within a series' state.
const COUNT = 0; // u32
const RUN = 4; // u32: readings equal to the one before
const LAST_TS = 8;
const LAST_ARRIVAL = 16;
const LAST_VALUE = 24;
const MEAN = 32;
const SPREAD = 40; // f32
const REPEATS = 44; // f32
const INTERVAL_FAST = 48; // f32, µs
const INTERVAL_SLOW = 52; // f32, µs
const OFFSET = 56; // f64: arrival − device time, µs
const VALID_LO = 64; // f32
const VALID_HI = 68; // f32
const ACTIVE = 72; // u32: conditions in force, and PENDING_SPIKE
const DRIFT_SLOW = 80;
const DRIFT_BASE = 88; // mean of the slow residual while learning
const DRIFT_SPAN = 96; // f32: widest swing of the slow residual from its base while learning
const DRIFT_SEEN = 100; // u32: readings in the drift baseline
const DRIFT_TOLERANCE = 104; // f32: drift smaller than this (the sensor's accuracy) is not a fault
const TRAITS = 108; // u32: COUNTER
const PEERED: u32 = 2; // drift is judged against peers (a reference arrived); set by the kernel
const COUNTER: u32 = 1; // a running count: its value only climbs, so spikes, stuck runs and drift are not judged

/** Puts `count` states at `states` back to "never seen a reading", with no valid range. */
export function resetHealth(states: usize, count: i32): void {
  memory.fill(states, 0, <usize>count * HEALTH_STATE_BYTES);
  for (let i = 0; i < count; i++) {
    const s = states + <usize>i * HEALTH_STATE_BYTES;
    store<f32>(s + VALID_LO, -Infinity);
    store<f32>(s + VALID_HI, Infinity);
  }
}

/** Describes the series at `s` from the registry: valid range, drift tolerance, whether it is a counter. */
export function describeSeries(s: usize, lo: f64, hi: f64, driftTolerance: f64, counter: bool): void {
  store<f32>(s + VALID_LO, <f32>lo);
  store<f32>(s + VALID_HI, <f32>hi);
  store<f32>(s + DRIFT_TOLERANCE, <f32>driftTolerance);
  store<u32>(s + TRAITS, counter ? COUNTER : 0);
}

@inline function ema32(s: usize, field: usize, rate: f64, x: f64): f64 {
  const v = <f64>load<f32>(s + field);
  const next = v + rate * (x - v);
  store<f32>(s + field, <f32>next);
  return next;
}

/** Judges one reading of the series at `s`; `reference` is its peers' level (NaN: judge against itself). */
@inline function judge(s: usize, ts: f64, arrival: f64, x: f64, reference: f64): u32 {
  const seen = load<u32>(s + COUNT);
  let active = load<u32>(s + ACTIVE);
  let found: u32 = 0;
  if (x < <f64>load<f32>(s + VALID_LO) || x > <f64>load<f32>(s + VALID_HI)) active |= OUT_OF_RANGE;
  else active &= ~OUT_OF_RANGE;
  if (seen == 0) {
    store<f64>(s + MEAN, x);
    store<f64>(s + OFFSET, arrival - ts);
    store<f64>(s + DRIFT_SLOW, isNaN(reference) ? x : x - reference);
    if (!isNaN(reference)) store<u32>(s + TRAITS, load<u32>(s + TRAITS) | PEERED);
  } else {
    const lastTs = load<f64>(s + LAST_TS);
    if (ts == lastTs) {
      store<u32>(s + ACTIVE, active);
      return (active & 0xffff) | DUPLICATE;
    }
    if (ts < lastTs) found |= LATE;
    const learned = seen >= learn;

    // Arrival intervals: gaps, reporting-rate changes, backlog replays.
    const gapUs = arrival - load<f64>(s + LAST_ARRIVAL);
    const slow = <f64>load<f32>(s + INTERVAL_SLOW);
    const isGap = seen > 8 && gapUs > max(GAP_FACTOR * slow, MIN_GAP_US);
    if (learned && isGap && !(active & SILENT)) found |= GAP;
    active &= ~SILENT;
    if (!isGap && gapUs >= 0) {
      const fast = ema32(s, INTERVAL_FAST, seen == 1 ? 1 : FAST_INTERVAL, gapUs);
      const learnedInterval = ema32(s, INTERVAL_SLOW, seen == 1 ? 1 : seen < 64 ? 0.1 : SLOW_INTERVAL, gapUs);
      if (learned && (fast > RATE_FACTOR * learnedInterval || fast * RATE_FACTOR < learnedInterval)) active |= RATE;
      else if (fast < 1.2 * learnedInterval && fast * 1.2 > learnedInterval) active &= ~RATE;
    }

    // Clock: arrival − device time. A steady offset beyond the tolerance is skew; a device sending old
    // readings faster than they were taken is replaying a backlog.
    const offset = arrival - ts;
    const offsetMean = load<f64>(s + OFFSET) + OFFSET_RATE * (offset - load<f64>(s + OFFSET));
    store<f64>(s + OFFSET, abs(offset - offsetMean) > 10 * skewTolerance ? offset : offsetMean);
    if (abs(offset) > skewTolerance && !(offset > 0 && gapUs < 0.5 * (ts - lastTs))) active |= SKEW;
    else if (abs(offset) < 0.5 * skewTolerance) active &= ~SKEW;
    if (offset > skewTolerance && gapUs < 0.5 * (ts - lastTs)) active |= REPLAY;
    else active &= ~REPLAY;

    const judgeValue = !(load<u32>(s + TRAITS) & COUNTER);
    // Value: spikes (out and straight back), stuck runs.
    const mean = load<f64>(s + MEAN);
    const spread = max(<f64>load<f32>(s + SPREAD), 1e-9);
    const last = load<f64>(s + LAST_VALUE);
    const run = x == last ? load<u32>(s + RUN) + 1 : 0;
    store<u32>(s + RUN, run);
    const repeats = ema32(s, REPEATS, seen < 64 ? 1.0 / <f64>seen : REPEAT_RATE, x == last ? 1 : 0);
    if (judgeValue && learned && run >= MIN_STUCK_RUN && <f64>run >= LOG_STUCK_CHANCE / Math.log(min(max(repeats, 1e-3), 0.999))) active |= STUCK;
    else if (run == 0) active &= ~STUCK;
    const away = abs(x - mean) > SPIKE_BAND * spread;
    if (active & PENDING_SPIKE) {
      active &= ~PENDING_SPIKE;
      if (abs(x - mean) <= RETURN_BAND * spread) found |= SPIKE;
      else store<f64>(s + MEAN, x); // a new level, not a spike: follow it
    } else if (judgeValue && learned && away && run == 0) {
      active |= PENDING_SPIKE;
    }
    // A repeated value says nothing new about level or spread, and a stuck stretch must not shrink the band.
    if (!(active & PENDING_SPIKE) && run == 0) {
      const m = load<f64>(s + MEAN);
      store<f64>(s + MEAN, m + MEAN_RATE * (x - m));
      ema32(s, SPREAD, seen < 64 ? 1.0 / <f64>seen : MEAN_RATE, abs(x - m));
    }


    // Drift: the slow residual against peers (or, with none known, the value itself) leaving the widest
    // swing it showed over its baseline stretch. A reading without a reference in a peered series, or the
    // reverse, is not used: the two residuals are not comparable.
    const traits = load<u32>(s + TRAITS);
    const residual = isNaN(reference) ? x : x - reference;
    if (!isNaN(reference) && !(traits & PEERED)) {
      // Peers' level is known from now on: judge against it, with a new baseline stretch.
      store<u32>(s + TRAITS, traits | PEERED);
      store<f64>(s + DRIFT_SLOW, residual);
      store<u32>(s + DRIFT_SEEN, 0);
      store<f64>(s + DRIFT_BASE, 0);
      store<f32>(s + DRIFT_SPAN, 0);
      active &= ~DRIFT;
    } else if (judgeValue && !(active & (PENDING_SPIKE | STUCK)) && (isNaN(reference) == !(traits & PEERED))) {
      const slowResidual = load<f64>(s + DRIFT_SLOW) + DRIFT_RATE * (residual - load<f64>(s + DRIFT_SLOW));
      store<f64>(s + DRIFT_SLOW, slowResidual);
      const k = load<u32>(s + DRIFT_SEEN);
      if (learned && k < DRIFT_BASELINE * learn) {
        const base = load<f64>(s + DRIFT_BASE) + (slowResidual - load<f64>(s + DRIFT_BASE)) / <f64>(k + 1);
        store<u32>(s + DRIFT_SEEN, k + 1);
        store<f64>(s + DRIFT_BASE, base);
        store<f32>(s + DRIFT_SPAN, <f32>max(<f64>load<f32>(s + DRIFT_SPAN), abs(slowResidual - base)));
      } else if (learned) {
        const swing = abs(slowResidual - load<f64>(s + DRIFT_BASE));
        const learnedLimit = max(DRIFT_FACTOR * <f64>load<f32>(s + DRIFT_SPAN), DRIFT_NOISE * <f64>load<f32>(s + SPREAD));
        const limit = max(max(learnedLimit, <f64>load<f32>(s + DRIFT_TOLERANCE)), DRIFT_FLOOR);
        if (swing > limit) active |= DRIFT;
        else if (swing < 0.4 * limit) active &= ~DRIFT;
      }
    }
  }
  store<f64>(s + LAST_TS, ts);
  store<f64>(s + LAST_ARRIVAL, arrival);
  store<f64>(s + LAST_VALUE, x);
  store<u32>(s + COUNT, seen + 1);
  store<u32>(s + ACTIVE, active);
  return (active & 0xffff) | found;
}

/**
 * Judges `n` readings: reading i of series slot `series[i]` (state at `states + slot * HEALTH_STATE_BYTES`)
 * has device time `ts[i]`, arrival time `arrival[i]` (both µs), value `values[i]` and peer level
 * `reference[i]` (NaN for none); its findings go to `findings[i]`. Values that are not finite find nothing
 * and change nothing.
 */
export function judgeHealth(states: usize, series: usize, ts: usize, arrival: usize, values: usize, reference: usize, findings: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const k = <usize>i;
    const x = load<f64>(values + (k << 3));
    let f: u32 = 0;
    if (isFinite(x)) {
      f = judge(states + <usize>load<i32>(series + (k << 2)) * HEALTH_STATE_BYTES, load<f64>(ts + (k << 3)), load<f64>(arrival + (k << 3)), x, load<f64>(reference + (k << 3)));
    }
    store<u32>(findings + (k << 2), f);
  }
}

/**
 * Finds series gone silent: for slots [0, count), `out[slot]` is GAP when nothing has arrived for longer
 * than the gap allowance by `now` (µs) and the silence was not reported before, else 0.
 */
export function sweepSilence(states: usize, count: i32, now: f64, out: usize): void {
  for (let i = 0; i < count; i++) {
    const s = states + <usize>i * HEALTH_STATE_BYTES;
    const active = load<u32>(s + ACTIVE);
    let f: u32 = 0;
    if (load<u32>(s + COUNT) >= learn && !(active & SILENT)) {
      const allowance = max(GAP_FACTOR * <f64>load<f32>(s + INTERVAL_SLOW), MIN_GAP_US);
      if (now - load<f64>(s + LAST_ARRIVAL) > allowance) {
        store<u32>(s + ACTIVE, active | SILENT);
        f = GAP;
      }
    }
    store<u32>(out + (<usize>i << 2), f);
  }
}

// The integer stream: a series of i64 (timestamps, scaled decimals, positions, run lengths) stored as
// the cheapest of four shapes. Arithmetic wraps, so every i64 sequence round-trips, however wild.
//
// u8 mode, then
//   0 PROGRESSION  varint zz(first) · varint zz(step)                 x[i] = first + i·step
//   1 FOR          varint zz(ref) · pfor(x[i] − ref)                   ref = min
//   2 DELTA        varint zz(first) · varint zz(base) · pfor(zz(x[i] − x[i−1] − base))   base = median step
//   3 DOD          varint zz(first) · varint zz(x[1] − x[0]) · pfor(zz(Δ²x[i]))
//   4 FRAME_FOR    ints(the minimum of each 128-point frame; modes 0–3 only) · pfor(x[i] − its frame's minimum)
// Delta beats delta-of-delta on gaps and jitter (one residual instead of two, half the spread); DOD wins
// when the step drifts. A noisy gauge around a slowly moving level is FRAME_FOR's: its residuals span
// the noise alone, where a delta spans the noise twice. All are priced exactly, not guessed.

import { zigzag, unzigzag, putVarint, getVarint, varintValue } from "./bytes";
import { pforWrite, pforDecode, bitLength, countLength, closeFrame, FRAME } from "./pfor";
import { resBuf, MAX_POINTS } from "./workspace";

/** Bytes of frame widths one plan records for the largest block. */
const WIDTHS: i32 = MAX_POINTS / FRAME + 16;

export const MODE_PROGRESSION: i32 = 0;
export const MODE_FOR: i32 = 1;
export const MODE_DELTA: i32 = 2;
export const MODE_DOD: i32 = 3;
export const MODE_FRAME_FOR: i32 = 4;
export const MODE_AUTO: i32 = -1;

const sample = memory.data(64 * 8, 16);

// @ts-ignore: decorator
@inline
function at(src: usize, i: i32): i64 {
  return load<i64>(src + (<usize>i << 3));
}

function medianStep(src: usize, n: i32): i64 {
  const m = min(n - 1, 63);
  const stride = (n - 1) / m;
  for (let k = 0; k < m; k++) {
    const i = 1 + k * stride;
    store<i64>(sample + (<usize>k << 3), at(src, i) - at(src, i - 1));
  }
  for (let i = 1; i < m; i++) {
    const v = load<i64>(sample + (<usize>i << 3));
    let j = i - 1;
    while (j >= 0 && load<i64>(sample + (<usize>j << 3)) > v) {
      store<i64>(sample + (<usize>(j + 1) << 3), load<i64>(sample + (<usize>j << 3)));
      j--;
    }
    store<i64>(sample + (<usize>(j + 1) << 3), v);
  }
  return load<i64>(sample + (<usize>(m >> 1) << 3));
}

function isProgression(src: usize, n: i32): bool {
  if (n <= 2) return true;
  const step = at(src, 1) - at(src, 0);
  for (let i = 2; i < n; i++) if (at(src, i) - at(src, i - 1) != step) return false;
  return true;
}

function minOf(src: usize, n: i32): i64 {
  let m = at(src, 0);
  for (let i = 1; i < n; i++) m = min(m, at(src, i));
  return m;
}

/** Fills resBuf with the residuals of `mode`; returns how many. */
function residuals(src: usize, n: i32, mode: i32, param: i64): i32 {
  const r = resBuf;
  if (mode == MODE_FOR) {
    for (let i = 0; i < n; i++) store<u64>(r + (<usize>i << 3), <u64>(at(src, i) - param));
    return n;
  }
  if (mode == MODE_DELTA) {
    for (let i = 1; i < n; i++) store<u64>(r + (<usize>(i - 1) << 3), zigzag(at(src, i) - at(src, i - 1) - param));
    return n - 1;
  }
  let prev = at(src, 1) - at(src, 0);
  for (let i = 2; i < n; i++) {
    const d = at(src, i) - at(src, i - 1);
    store<u64>(r + (<usize>(i - 2) << 3), zigzag(d - prev));
    prev = d;
  }
  return n - 2;
}

const hists = memory.data(3 * 66 * 4, 16);
const widthMem = memory.data(4 * WIDTHS, 16);
/** Frame minimums of a FRAME_FOR stream being written, and of one being read. */
const frameRefs = memory.data(WIDTHS * 8, 16);
const readRefs = memory.data(WIDTHS * 8, 16);
/** Planned bytes of FOR, DELTA and DOD (index mode − 1). */
const planned = memory.data(3 * 4, 16);

// @ts-ignore: decorator
@inline
function widthsOf(mode: i32): usize {
  return widthMem + <usize>(mode - 1) * WIDTHS;
}

// @ts-ignore: decorator
@inline
function plannedBytes(mode: i32): i32 {
  return load<i32>(planned + (<usize>(mode - 1) << 2));
}

/** Prices FOR, DELTA and DOD exactly in one pass, recording each one's frame widths. */
function planAll(src: usize, n: i32, ref: i64, base: i64): void {
  const hFor = hists;
  const hDelta = hists + 66 * 4;
  const hDod = hists + 2 * 66 * 4;
  memory.fill(hists, 0, 3 * 66 * 4);
  // DELTA residuals start at point 1 and DOD at point 2, so their frames end one and two points later.
  let bytesFor = 0, bytesDelta = 0, bytesDod = 0;
  let prev = at(src, 0);
  let step: i64 = 0;
  countLength(hFor, bitLength(<u64>(prev - ref)));
  for (let i = 1; i < n; i++) {
    const x = at(src, i);
    const d = x - prev;
    if ((i & (FRAME - 1)) == 0) bytesFor += closeFrame(hFor, FRAME, widthsOf(MODE_FOR), (i >> 7) - 1);
    countLength(hFor, bitLength(<u64>(x - ref)));
    if (((i - 1) & (FRAME - 1)) == 0 && i > 1) bytesDelta += closeFrame(hDelta, FRAME, widthsOf(MODE_DELTA), ((i - 1) >> 7) - 1);
    countLength(hDelta, bitLength(zigzag(d - base)));
    if (i >= 2) {
      if (((i - 2) & (FRAME - 1)) == 0 && i > 2) bytesDod += closeFrame(hDod, FRAME, widthsOf(MODE_DOD), ((i - 2) >> 7) - 1);
      countLength(hDod, bitLength(zigzag(d - step)));
    }
    step = d;
    prev = x;
  }
  bytesFor += closeFrame(hFor, n - ((n - 1) & ~(FRAME - 1)), widthsOf(MODE_FOR), (n - 1) >> 7);
  if (n >= 2) bytesDelta += closeFrame(hDelta, n - 1 - ((n - 2) & ~(FRAME - 1)), widthsOf(MODE_DELTA), (n - 2) >> 7);
  if (n >= 3) bytesDod += closeFrame(hDod, n - 2 - ((n - 3) & ~(FRAME - 1)), widthsOf(MODE_DOD), (n - 3) >> 7);
  store<i32>(planned, bytesFor);
  store<i32>(planned, bytesDelta, 4);
  store<i32>(planned, bytesDod, 8);
}

/**
 * Prices FRAME_FOR in one pass, frame by frame (128 values stay in cache): each frame's minimum goes
 * to frameRefs and its residuals' widths to `widths`. Returns the residuals' bytes.
 */
function planFrameFor(src: usize, n: i32, widths: usize): i32 {
  let bytes = 0;
  memory.fill(hists, 0, 66 * 4); // closeFrame clears it after each frame
  for (let start = 0, f = 0; start < n; start += FRAME, f++) {
    const end = min(n, start + FRAME);
    let m = at(src, start);
    for (let i = start + 1; i < end; i++) m = min(m, at(src, i));
    store<i64>(frameRefs + (<usize>f << 3), m);
    for (let i = start; i < end; i++) countLength(hists, bitLength(<u64>(at(src, i) - m)));
    bytes += closeFrame(hists, end - start, widths, f);
  }
  return bytes;
}

/** Fills resBuf with each value minus its frame's minimum (from frameRefs). */
function frameResiduals(src: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u64>(resBuf + (<usize>i << 3), <u64>(at(src, i) - load<i64>(frameRefs + (<usize>(i >> 7) << 3))));
}

/**
 * Writes `n` ≥ 1 integers at `src` as an integer stream at `out`; returns the position after it.
 * `nested` streams (a FRAME_FOR stream's minimums) use modes 0–3 only.
 */
export function encodeInts(src: usize, n: i32, out: usize, force: i32, nested: bool = false): usize {
  let mode = force;
  const progression = isProgression(src, n);
  if (mode == MODE_AUTO && progression) mode = MODE_PROGRESSION;
  if (mode == MODE_PROGRESSION && !progression) mode = MODE_AUTO;
  if (n < 3 && mode == MODE_DOD) mode = MODE_DELTA;
  if (n < 2 && mode == MODE_DELTA) mode = MODE_FOR;
  store<u8>(out++, <u8>(mode == MODE_AUTO ? MODE_FOR : mode));
  if (mode == MODE_PROGRESSION) {
    out = putVarint(out, zigzag(at(src, 0)));
    return putVarint(out, zigzag(n > 1 ? at(src, 1) - at(src, 0) : 0));
  }
  if (nested && mode == MODE_FRAME_FOR) mode = MODE_AUTO;
  const base = n >= 2 ? medianStep(src, n) : 0;
  const ref = minOf(src, n);
  planAll(src, n, ref, base);
  let frames = 0;
  let frameBytes = i32.MAX_VALUE;
  if (!nested && (mode == MODE_AUTO || mode == MODE_FRAME_FOR)) {
    frames = (n + FRAME - 1) >> 7;
    // The minimums' own stream is priced at two bytes a frame: they move as slowly as the level.
    frameBytes = planFrameFor(src, n, widthsOf(MODE_FRAME_FOR)) + frames * 2 + 2;
  }
  if (mode == MODE_AUTO) {
    mode = MODE_FOR;
    let best = plannedBytes(MODE_FOR);
    if (n >= 2 && plannedBytes(MODE_DELTA) < best) {
      best = plannedBytes(MODE_DELTA);
      mode = MODE_DELTA;
    }
    if (n >= 3 && plannedBytes(MODE_DOD) < best) {
      best = plannedBytes(MODE_DOD);
      mode = MODE_DOD;
    }
    if (frameBytes < best) mode = MODE_FRAME_FOR;
    store<u8>(out - 1, <u8>mode);
  }
  if (mode == MODE_FRAME_FOR) {
    out = encodeInts(frameRefs, frames, out, MODE_AUTO, true);
    // The nested stream reused resBuf and the histograms; the widths of this one are kept apart.
    frameResiduals(src, n);
    return pforWrite(resBuf, n, widthsOf(MODE_FRAME_FOR), out);
  }
  const widths = widthsOf(mode);
  if (mode == MODE_FOR) {
    out = putVarint(out, zigzag(ref));
    return pforWrite(resBuf, residuals(src, n, MODE_FOR, ref), widths, out);
  }
  out = putVarint(out, zigzag(at(src, 0)));
  if (mode == MODE_DELTA) {
    out = putVarint(out, zigzag(base));
    return pforWrite(resBuf, residuals(src, n, MODE_DELTA, base), widths, out);
  }
  out = putVarint(out, zigzag(at(src, 1) - at(src, 0)));
  return pforWrite(resBuf, residuals(src, n, MODE_DOD, 0), widths, out);
}

/**
 * Reads an integer stream of `n` values at `p` (ending by `end`) into `dst`.
 * Returns the position after it, or 0 when it is malformed or runs past `end`.
 */
export function decodeInts(p: usize, end: usize, dst: usize, n: i32, nested: bool = false): usize {
  if (p >= end) return 0;
  const mode = <i32>load<u8>(p++);
  if (mode > (nested ? MODE_DOD : MODE_FRAME_FOR)) return 0;
  if (mode == MODE_FRAME_FOR) {
    const frames = (n + FRAME - 1) >> 7;
    p = decodeInts(p, end, readRefs, frames, true);
    if (p == 0) return 0;
    p = pforDecode(p, end, dst, n);
    if (p == 0) return 0;
    for (let i = 0; i < n; i++) {
      const slot = dst + (<usize>i << 3);
      store<i64>(slot, load<i64>(slot) + load<i64>(readRefs + (<usize>(i >> 7) << 3)));
    }
    return p;
  }
  p = getVarint(p, end);
  if (p == 0) return 0;
  const first = unzigzag(varintValue);
  if (mode == MODE_FOR) {
    p = pforDecode(p, end, dst, n);
    if (p == 0) return 0;
    for (let i = 0; i < n; i++) store<i64>(dst + (<usize>i << 3), at(dst, i) + first);
    return p;
  }
  if (mode == MODE_DOD && n < 3) return 0;
  if (mode == MODE_DELTA && n < 2) return 0;
  p = getVarint(p, end);
  if (p == 0) return 0;
  const param = unzigzag(varintValue);
  if (mode == MODE_PROGRESSION) {
    let x = first;
    for (let i = 0; i < n; i++) {
      store<i64>(dst + (<usize>i << 3), x);
      x += param;
    }
    return p;
  }
  if (mode == MODE_DELTA) {
    p = pforDecode(p, end, dst + 8, n - 1);
    if (p == 0) return 0;
    let x = first;
    store<i64>(dst, x);
    for (let i = 1; i < n; i++) {
      x += param + unzigzag(load<u64>(dst + (<usize>i << 3)));
      store<i64>(dst + (<usize>i << 3), x);
    }
    return p;
  }
  p = pforDecode(p, end, dst + 16, n - 2);
  if (p == 0) return 0;
  let d = param;
  let x = first + d;
  store<i64>(dst, first);
  store<i64>(dst + 8, x);
  for (let i = 2; i < n; i++) {
    d += unzigzag(load<u64>(dst + (<usize>i << 3)));
    x += d;
    store<i64>(dst + (<usize>i << 3), x);
  }
  return p;
}

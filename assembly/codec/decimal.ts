// Decimal scaling (the idea behind ALP and VictoriaMetrics' lib/decimal): a sensor value printed with
// at most e decimals is an integer over 10^e. Such blocks become an integer stream plus the few values
// that do not round-trip bit-exactly (NaN, −0, over-precise floats), stored aside as exceptions.
//
// u8 e · varint exceptions · [ints(positions) · xor(values)] · ints(scaled values)
// Decoding divides by 10^e: division by an exact power of ten is correctly rounded, so it reproduces
// the double nearest to the printed decimal, which is what the sensor's parser produced.

import { putVarint, getVarint, varintValue } from "./bytes";
import { encodeInts, decodeInts, MODE_AUTO } from "./ints";
import { encodeXor, decodeXor } from "./xor";
import { pow10, intBuf, auxBuf, auxVal } from "./workspace";

export const MAX_EXPONENT: i32 = 18;
const LIMIT: f64 = 9007199254740992; // 2^53: larger integers are not all exact doubles

/** Scaled integer of `v` at exponent `e`, and whether it decodes back to the very same bits. */
let scaled: i64 = 0;

// @ts-ignore: decorator
@inline
function scale(v: f64, p: f64): bool {
  const r = nearest(v * p);
  if (!(abs(r) <= LIMIT)) return false;
  scaled = <i64>r;
  return reinterpret<u64>(<f64>scaled / p) == reinterpret<u64>(v);
}

/**
 * Picks the exponent for `n` values at `src` from a sample: fewest estimated bits, counting an
 * exception as 80. Returns -1 when most of the sample would be exceptions (not decimal data).
 */
export function chooseExponent(src: usize, n: i32): i32 {
  const m = min(n, 64);
  const stride = n / m;
  let best = -1;
  let bestCost: f64 = Infinity;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    const p = load<f64>(pow10 + (<usize>e << 3));
    let misses = 0;
    let lo: i64 = i64.MAX_VALUE;
    let hi: i64 = i64.MIN_VALUE;
    for (let k = 0; k < m; k++) {
      if (scale(load<f64>(src + (<usize>(k * stride) << 3)), p)) {
        lo = min(lo, scaled);
        hi = max(hi, scaled);
      } else {
        misses++;
      }
    }
    if (misses * 2 > m) continue;
    const width: f64 = hi >= lo ? <f64>(64 - <i32>clz(<u64>(hi - lo))) : 0;
    const cost = <f64>misses * 80 + <f64>(m - misses) * width;
    if (cost < bestCost) {
      bestCost = cost;
      best = e;
    }
    if (misses == 0) break;
  }
  return best;
}

/** Writes `n` values at `src` as a decimal stream with exponent `e` at `out`; returns the end. */
export function encodeDecimal(src: usize, n: i32, e: i32, out: usize): usize {
  const p = load<f64>(pow10 + (<usize>e << 3));
  let misses = 0;
  let last: i64 = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(src + (<usize>i << 3));
    if (scale(v, p)) {
      last = scaled;
    } else {
      store<i64>(auxBuf + (<usize>misses << 3), i);
      store<f64>(auxVal + (<usize>misses << 3), v);
      misses++;
    }
    // An exception's slot repeats its neighbour so it costs the integer stream nothing.
    store<i64>(intBuf + (<usize>i << 3), last);
  }
  store<u8>(out++, <u8>e);
  out = putVarint(out, <u64>misses);
  if (misses > 0) {
    out = encodeInts(auxBuf, misses, out, MODE_AUTO);
    out = encodeXor(auxVal, misses, out);
  }
  return encodeInts(intBuf, n, out, MODE_AUTO);
}

/** Reads a decimal stream of `n` values at `p` (ending by `end`) into `dst`; returns the end, or 0. */
export function decodeDecimal(p: usize, end: usize, dst: usize, n: i32): usize {
  if (p >= end) return 0;
  const e = <i32>load<u8>(p++);
  if (e > MAX_EXPONENT) return 0;
  p = getVarint(p, end);
  if (p == 0 || varintValue > <u64>n) return 0;
  const misses = <i32>varintValue;
  if (misses > 0) {
    p = decodeInts(p, end, auxBuf, misses);
    if (p == 0) return 0;
    p = decodeXor(p, end, auxVal, misses);
    if (p == 0) return 0;
  }
  p = decodeInts(p, end, dst, n);
  if (p == 0) return 0;
  const scaleBy = load<f64>(pow10 + (<usize>e << 3));
  for (let i = 0; i < n; i++) {
    const slot = dst + (<usize>i << 3);
    store<f64>(slot, <f64>load<i64>(slot) / scaleBy);
  }
  for (let k = 0; k < misses; k++) {
    const i = load<i64>(auxBuf + (<usize>k << 3));
    if (<u64>i >= <u64>n) return 0;
    store<f64>(dst + (<usize>i << 3), load<f64>(auxVal + (<usize>k << 3)));
  }
  return p;
}

// Decimal numbers read from text, as JavaScript reads them: a mantissa of at most 15 digits times a
// power of ten up to 10^±22 takes one rounding (Clinger's fast path), so the double is exactly the one
// Number() or JSON.parse gives. Shared by the line-protocol and JSON scanners.
import { at } from "./input";

/** 10^0 … 10^22: every one exact in a double. */
const POW10 = memory.data<f64>([1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]);

/** m (its `digits` digits read as an integer) × 10^e10, or NaN when that takes more than one rounding. */
export function exactDecimal(m: f64, digits: i32, e10: i32): f64 {
  if (digits > 15 || e10 < -22 || e10 > 22) return NaN;
  return e10 >= 0 ? m * load<f64>(POW10 + (<usize>e10 << 3)) : m / load<f64>(POW10 + (<usize>-e10 << 3));
}

/** The exponent read by exponentAt(). */
export let exponent: i32 = 0;

/**
 * Reads an optional exponent (e or E, a sign, digits) of the input at q, before `end`, into `exponent`
 * (0 when there is none); returns the index after it, or −1 when an e has no digits.
 */
export function exponentAt(q: i32, end: i32): i32 {
  exponent = 0;
  if (q >= end) return q;
  let c = at(q);
  if (c !== 101 && c !== 69) return q;
  q++;
  const negative = q < end && at(q) === 45;
  if (q < end && (at(q) === 45 || at(q) === 43)) q++;
  const start = q;
  let e = 0;
  while (q < end && (c = at(q)) >= 48 && c <= 57) {
    if (e < 100000) e = e * 10 + <i32>(c - 48);
    q++;
  }
  if (q === start) return -1;
  exponent = negative ? -e : e;
  return q;
}

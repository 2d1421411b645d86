// Line protocol field values and timestamps read straight from the bytes: floats by Clinger's fast
// path (up to 15 digits and 10^±22, where one rounding gives exactly what parseFloat gives), integers
// `12i` / `12u`, booleans; anything longer falls back to Number() on the token's text.

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const D0 = 48;
const D9 = 57;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Timestamp precisions of the write API (`?precision=`). */
export type Precision = "ns" | "us" | "ms" | "s";

/** The ASCII token buf[s, e) as a string (tokens are checked to be digits, signs, points and exponents first). */
function text(buf: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
}

/** Whether buf[s, e) spells one of the given words. */
function spells(buf: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[s + k] !== word.charCodeAt(k)) return false;
  return true;
}

function boolean(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const c = buf[s];
  if (c === 116 || c === 84) return n === 1 || spells(buf, s, e, "true") || spells(buf, s, e, "True") || spells(buf, s, e, "TRUE") ? 1 : NaN;
  return n === 1 || spells(buf, s, e, "false") || spells(buf, s, e, "False") || spells(buf, s, e, "FALSE") ? 0 : NaN;
}

/**
 * Writes the value of the field token buf[s, e) (s < e) to out[at]: a float, an integer `12i` /
 * unsigned `12u`, or a boolean (1 / 0). NaN when the token is none of these; ±Infinity when it is out of
 * range (a float past float64, an integer past int64 / uint64). Written, not returned: a double returned
 * from a call the compiler does not inline is a new heap number, 16 bytes of garbage per reading.
 * @internal
 */
export function fieldValue(buf: Uint8Array, s: number, e: number, out: Float64Array, at: number): void {
  let c = buf[s];
  if (c === 116 || c === 84 || c === 102 || c === 70) {
    out[at] = boolean(buf, s, e);
    return;
  }
  let i = s;
  const negative = c === MINUS;
  if (negative || c === PLUS) i++;
  let m = 0;
  let digits = 0;
  let scale = 0;
  const intStart = i;
  while (i < e && (c = buf[i]) >= D0 && c <= D9) {
    m = m * 10 + (c - D0);
    i++;
  }
  digits = i - intStart;
  const last = buf[e - 1];
  if (last === 105 || last === 117) {
    // 12i, 12u: nothing but digits before the suffix.
    if (i !== e - 1 || digits === 0 || (last === 117 && (negative || buf[s] === PLUS))) {
      out[at] = NaN;
      return;
    }
    // -0i is 0: integers have no negative zero
    if (digits <= 15) {
      out[at] = negative ? 0 - m : m;
      return;
    }
    const big = BigInt(text(buf, s, e - 1));
    if (last === 105 ? big > INT64_MAX || big < -INT64_MAX - 1n : big > UINT64_MAX) {
      out[at] = negative ? -Infinity : Infinity;
      return;
    }
    out[at] = Number(big);
    return;
  }
  if (i < e && buf[i] === DOT) {
    i++;
    const fracStart = i;
    while (i < e && (c = buf[i]) >= D0 && c <= D9) {
      m = m * 10 + (c - D0);
      i++;
    }
    scale = i - fracStart;
    digits += scale;
  }
  if (digits === 0) {
    out[at] = NaN;
    return;
  }
  let exponent = 0;
  if (i < e && ((c = buf[i]) === 101 || c === 69)) {
    i++;
    const expNegative = i < e && buf[i] === MINUS;
    if (i < e && (buf[i] === MINUS || buf[i] === PLUS)) i++;
    const expStart = i;
    while (i < e && (c = buf[i]) >= D0 && c <= D9) {
      if (exponent < 100000) exponent = exponent * 10 + (c - D0);
      i++;
    }
    if (i === expStart) {
      out[at] = NaN;
      return;
    }
    if (expNegative) exponent = -exponent;
  }
  if (i !== e) {
    out[at] = NaN;
    return;
  }
  const e10 = exponent - scale;
  let v: number;
  if (digits <= 15 && e10 >= -22 && e10 <= 22) v = e10 >= 0 ? m * POW10[e10] : m / POW10[-e10];
  else v = Number(text(buf, negative || buf[s] === PLUS ? s + 1 : s, e));
  out[at] = negative ? -v : v;
}

/**
 * Writes the timestamp token buf[s, e) (s < e) in µs to out[at]: an integer in `precision` units, nanoseconds rounded
 * toward the past. NaN when the token is not an integer; ±Infinity when the µs are outside ±2^53.
 * @internal
 */
export function timestampMicros(buf: Uint8Array, s: number, e: number, precision: Precision, out: Float64Array, at: number): void {
  let i = s;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  if (i === e) {
    out[at] = NaN;
    return;
  }
  // Nanoseconds: the last three digits are below the microsecond.
  const stop = precision === "ns" ? Math.max(i, e - 3) : e;
  let v = 0;
  for (; i < stop; i++) {
    const c = buf[i];
    if (c < D0 || c > D9) {
      out[at] = NaN;
      return;
    }
    if (v <= MAX_SAFE) v = v * 10 + (c - D0);
  }
  let below = 0;
  for (; i < e; i++) {
    const c = buf[i];
    if (c < D0 || c > D9) {
      out[at] = NaN;
      return;
    }
    below = below * 10 + (c - D0);
  }
  if (precision === "ms") v *= 1000;
  else if (precision === "s") v *= 1_000_000;
  if (v > MAX_SAFE) {
    out[at] = negative ? -Infinity : Infinity;
    return;
  }
  out[at] = negative ? 0 - v - (below > 0 ? 1 : 0) : v;
}

// The line-protocol scanner's exports: reads a body's lines in bulk and leaves, per line, where its
// names lie and what its field values and timestamp are; the host turns names into ids and readings.
// Only lines in the plain form are read here (numeric fields whose value one rounding gives, integral
// timestamps); at any other line (a string field, a long number, anything malformed) scan() stops, and
// the host's own parser reads that line, with its messages, before scanning on.
import { growTo } from "../memory/grow";
import { exactDecimal, exponent, exponentAt } from "../text/decimal";
import { align16, at, input, reserveInput } from "../text/input";

/** Lines one scan() reports at most (then it stops, for the host to take them and scan on). */
export const MAX_LINES: i32 = 4096;
/** Fields one scan() reports at most. */
export const MAX_FIELDS: i32 = 32768;
/** Bytes of device tag keys the host may write at tagsPtr() (a count byte, then length-prefixed keys). */
export const TAGS_BYTES: i32 = 1024;

/**
 * Per line, ten i32: line number, measurement start and end, device tag rank, device value start and
 * end, the device value's FNV-1a hash, first field, field count, and 1 when the measurement and field
 * keys are the previous line's (of this scan) byte for byte.
 */
export const LINE_INTS: i32 = 10;
const FNV_BASIS: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
/** A tag rank above every device tag's: the line names no device. */
const NO_DEVICE: i32 = 0x7fffffff;
/** Why scan() stopped. */
const STOP_END: i32 = 0;
const STOP_LINE: i32 = 1;
const STOP_FULL: i32 = 2;
/** Field status: a number, or one out of float64 / int64 range (the host refuses it). */
const FIELD_OK: u8 = 0;
const FIELD_OUT_OF_RANGE: u8 = 2;

const NL: u32 = 10;
const CR: u32 = 13;
const SPACE: u32 = 32;
const TAB: u32 = 9;
const QUOTE: u32 = 34;
const HASH: u32 = 35;
const COMMA: u32 = 44;
const EQUALS: u32 = 61;
const BACKSLASH: u32 = 92;
const MINUS: u32 = 45;
const PLUS: u32 = 43;
const DOT: u32 = 46;
const D0: u32 = 48;
const D9: u32 = 57;
const MAX_SAFE: f64 = 9007199254740991;
/** A line this scanner leaves to the host (NaN is never a value or timestamp it reports). */
const SLOW: f64 = NaN;

let tags: usize = 0;
let lines: usize = 0;
let stamps: usize = 0;
let keyStarts: usize = 0;
let keyEnds: usize = 0;
let values: usize = 0;
let statuses: usize = 0;
let tablesEnd: usize = 0;

let stopAt: i32 = 0;
let stopLine: i32 = 0;
let stopWhy: i32 = STOP_END;
let fieldCount: i32 = 0;

function layout(): void {
  tags = align16(__heap_base);
  lines = align16(tags + <usize>TAGS_BYTES);
  stamps = align16(lines + <usize>MAX_LINES * <usize>LINE_INTS * 4);
  keyStarts = align16(stamps + <usize>MAX_LINES * 8);
  keyEnds = align16(keyStarts + <usize>MAX_FIELDS * 4);
  values = align16(keyEnds + <usize>MAX_FIELDS * 4);
  statuses = align16(values + <usize>MAX_FIELDS * 8);
  tablesEnd = statuses + <usize>MAX_FIELDS;
  growTo(tablesEnd);
}

/** Makes room for a body of `length` bytes; returns where to write it (the address may change between calls). */
export function reserve(length: i32): usize {
  if (tablesEnd === 0) layout();
  return reserveInput(tablesEnd, length);
}

export function tagsPtr(): usize {
  if (tablesEnd === 0) layout();
  return tags;
}
export function linesPtr(): usize {
  return lines;
}
export function stampsPtr(): usize {
  return stamps;
}
export function keyStartsPtr(): usize {
  return keyStarts;
}
export function keyEndsPtr(): usize {
  return keyEnds;
}
export function valuesPtr(): usize {
  return values;
}
export function statusesPtr(): usize {
  return statuses;
}
/** Where the last scan() stopped: the start of the line it left, or the end. */
export function stoppedAt(): i32 {
  return stopAt;
}
/** The number of the line at stoppedAt(). */
export function stoppedLine(): i32 {
  return stopLine;
}
/** Why the last scan() stopped: 0 the end of the body, 1 a line for the host to read, 2 the output is full. */
export function stopReason(): i32 {
  return stopWhy;
}

/** The rank of tag key [s, e) among the host's device tags, or NO_DEVICE. */
function deviceRank(s: i32, e: i32): i32 {
  const count = <i32>load<u8>(tags);
  let q = tags + 1;
  for (let r = 0; r < count; r++) {
    const n = <i32>load<u8>(q);
    if (n === e - s) {
      let k = 0;
      while (k < n && <u32>load<u8>(q + 1 + <usize>k) === at(s + k)) k++;
      if (k === n) return r;
    }
    q += 1 + <usize>n;
  }
  return NO_DEVICE;
}

function spells4(s: i32, e: i32, w0: u32, w1: u32, w2: u32, w3: u32): bool {
  return e - s === 4 && at(s) === w0 && at(s + 1) === w1 && at(s + 2) === w2 && at(s + 3) === w3;
}

function spells5(s: i32, e: i32, w0: u32, w1: u32, w2: u32, w3: u32, w4: u32): bool {
  return e - s === 5 && at(s) === w0 && at(s + 1) === w1 && at(s + 2) === w2 && at(s + 3) === w3 && at(s + 4) === w4;
}

/** The host parser's booleans: t, T, true, True, TRUE (1); f, F, false, False, FALSE (0). */
function boolean(s: i32, e: i32): f64 {
  const n = e - s;
  const c = at(s);
  if (c === 116 || c === 84) return n === 1 || spells4(s, e, 116, 114, 117, 101) || spells4(s, e, 84, 114, 117, 101) || spells4(s, e, 84, 82, 85, 69) ? 1 : SLOW;
  return n === 1 || spells5(s, e, 102, 97, 108, 115, 101) || spells5(s, e, 70, 97, 108, 115, 101) || spells5(s, e, 70, 65, 76, 83, 69) ? 0 : SLOW;
}

/** The value of field token [s, e), as the host parser reads it, or SLOW where it needs more than one rounding (or refuses the token). */
function fieldValue(s: i32, e: i32): f64 {
  let c = at(s);
  if (c === 116 || c === 84 || c === 102 || c === 70) return boolean(s, e);
  let i = s;
  const negative = c === MINUS;
  if (negative || c === PLUS) i++;
  let m: f64 = 0;
  const intStart = i;
  while (i < e && (c = at(i)) >= D0 && c <= D9) {
    m = m * 10 + <f64>(c - D0);
    i++;
  }
  let digits = i - intStart;
  const last = at(e - 1);
  if (last === 105 || last === 117) {
    if (i !== e - 1 || digits === 0 || (last === 117 && (negative || at(s) === PLUS)) || digits > 15) return SLOW;
    return negative ? 0 - m : m;
  }
  let scale = 0;
  if (i < e && at(i) === DOT) {
    i++;
    const fracStart = i;
    while (i < e && (c = at(i)) >= D0 && c <= D9) {
      m = m * 10 + <f64>(c - D0);
      i++;
    }
    scale = i - fracStart;
    digits += scale;
  }
  if (digits === 0) return SLOW;
  i = exponentAt(i, e);
  if (i !== e) return SLOW;
  const v = exactDecimal(m, digits, exponent - scale);
  return negative ? -v : v;
}

/** The eight ASCII digits at p as a number (SWAR, little-endian), or −1 when one is not a digit. */
function eightDigits(p: i32): i64 {
  const x = load<u64>(input + <usize>p);
  if (((x & 0xf0f0f0f0f0f0f0f0) | (((x + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0) >> 4)) !== 0x3333333333333333) return -1;
  let v = x & 0x0f0f0f0f0f0f0f0f;
  v = (v * 2561) >> 8;
  v = ((v & 0x00ff00ff00ff00ff) * 6553601) >> 16;
  return <i64>(((v & 0x0000ffff0000ffff) * 42949672960001) >> 32);
}

/** Timestamp token [s, e) in µs (precision 0 ns, 1 µs, 2 ms, 3 s), ±Infinity out of ±2^53 µs, SLOW when not an integer. */
function timestampMicros(s: i32, e: i32, precision: i32): f64 {
  let i = s;
  const negative = at(i) === MINUS;
  if (negative) i++;
  if (i === e) return SLOW;
  const stop = precision === 0 ? max(i, e - 3) : e;
  let v: f64 = 0;
  // Up to 16 digits are exact in a u64, eight at a time: the double is then the one the host's digit loop makes.
  if (stop - i <= 16) {
    let whole: u64 = 0;
    for (; i + 8 <= stop; i += 8) {
      const eight = eightDigits(i);
      if (eight < 0) return SLOW;
      whole = whole * 100000000 + <u64>eight;
    }
    v = <f64>whole;
  }
  for (; i < stop; i++) {
    const c = at(i);
    if (c < D0 || c > D9) return SLOW;
    if (v <= MAX_SAFE) v = v * 10 + <f64>(c - D0);
  }
  let below = 0;
  for (; i < e; i++) {
    const c = at(i);
    if (c < D0 || c > D9) return SLOW;
    below = below * 10 + <i32>(c - D0);
  }
  if (precision === 2) v *= 1000;
  else if (precision === 3) v *= 1000000;
  if (v > MAX_SAFE) return negative ? -Infinity : Infinity;
  return negative ? 0 - v - (below > 0 ? 1 : 0) : v;
}

/** Index of the byte ending a name at p (, space or newline, and = where `equalsEnds`), backslash escapes skipped: 16 bytes a step. */
function nameEnd(p: i32, end: i32, equalsEnds: bool): i32 {
  const comma = i8x16.splat(<i8>COMMA);
  const space = i8x16.splat(<i8>SPACE);
  const nl = i8x16.splat(<i8>NL);
  const backslash = i8x16.splat(<i8>BACKSLASH);
  const equals = equalsEnds ? i8x16.splat(<i8>EQUALS) : nl;
  while (p < end) {
    const v = v128.load(input + <usize>p);
    const hits = v128.or(v128.or(i8x16.eq(v, comma), i8x16.eq(v, space)), v128.or(v128.or(i8x16.eq(v, nl), i8x16.eq(v, equals)), i8x16.eq(v, backslash)));
    const bits = i8x16.bitmask(hits);
    if (bits === 0) {
      p += 16;
      continue;
    }
    const q = p + <i32>ctz(bits);
    if (q >= end) return end;
    if (at(q) !== BACKSLASH) return q;
    p = q + 1 < end && at(q + 1) !== NL ? q + 2 : q + 1;
  }
  return end;
}

/** Index of the byte ending a value or timestamp token at p: one of the four `a`…`d` (16 bytes a step). */
function tokenEnd(p: i32, end: i32, a: u32, b: u32, c: u32, d: u32): i32 {
  const va = i8x16.splat(<i8>a);
  const vb = i8x16.splat(<i8>b);
  const vc = i8x16.splat(<i8>c);
  const vd = i8x16.splat(<i8>d);
  while (p < end) {
    const v = v128.load(input + <usize>p);
    const bits = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, va), i8x16.eq(v, vb)), v128.or(i8x16.eq(v, vc), i8x16.eq(v, vd))));
    if (bits !== 0) return min(p + <i32>ctz(bits), end);
    p += 16;
  }
  return end;
}

function fnv(s: i32, e: i32): u32 {
  let h = FNV_BASIS;
  for (let i = s; i < e; i++) h = (h ^ at(i)) * FNV_PRIME;
  return h;
}

/** Whether [s, e) and [s2, e2) hold the same bytes: eight at a time, then the rest. */
function sameBytes(s: i32, e: i32, s2: i32, e2: i32): bool {
  const n = e - s;
  if (n !== e2 - s2) return false;
  let k = 0;
  for (; k + 8 <= n; k += 8) if (load<u64>(input + <usize>(s + k)) !== load<u64>(input + <usize>(s2 + k))) return false;
  for (; k < n; k++) if (at(s + k) !== at(s2 + k)) return false;
  return true;
}

/** Whether line `line` has the measurement and field keys of the line before it in this scan. */
function sameShape(line: i32, mStart: i32, mEnd: i32, first: i32, count: i32): bool {
  if (line === 0) return false;
  const prev = lines + <usize>(line - 1) * <usize>LINE_INTS * 4;
  const prevFirst = load<i32>(prev + 28);
  if (load<i32>(prev + 32) !== count || !sameBytes(mStart, mEnd, load<i32>(prev + 4), load<i32>(prev + 8))) return false;
  for (let f = 0; f < count; f++) {
    const a = <usize>(first + f) << 2;
    const b = <usize>(prevFirst + f) << 2;
    if (!sameBytes(load<i32>(keyStarts + a), load<i32>(keyEnds + a), load<i32>(keyStarts + b), load<i32>(keyEnds + b))) return false;
  }
  return true;
}

/**
 * Reads the line at p (not blank, not a comment) as record `line` with its fields from `fieldCount` on.
 * Returns the position of its newline (or the end), −1 to leave the line to the host, −2 when the output is full.
 */
function readLine(p: i32, end: i32, lineNo: i32, line: i32, precision: i32, now: f64): i32 {
  const record = lines + <usize>line * <usize>LINE_INTS * 4;
  const mStart = p;
  p = nameEnd(p, end, false);
  if (p === mStart) return -1;
  const mEnd = p;
  let dRank = NO_DEVICE;
  let dStart = 0;
  let dEnd = 0;
  while (p < end && at(p) === COMMA) {
    const kStart = ++p;
    p = nameEnd(p, end, true);
    if (p >= end || at(p) !== EQUALS || p === kStart) return -1;
    const kEnd = p++;
    const vStart = p;
    p = nameEnd(p, end, true);
    if (p === vStart || (p < end && at(p) === EQUALS)) return -1;
    const rank = deviceRank(kStart, kEnd);
    if (rank < dRank) {
      dRank = rank;
      dStart = vStart;
      dEnd = p;
    }
  }
  if (p >= end || at(p) !== SPACE) return -1;
  while (p < end && at(p) === SPACE) p++;
  const first = fieldCount;
  let f = first;
  for (;;) {
    const kStart = p;
    p = nameEnd(p, end, true);
    if (p >= end || at(p) !== EQUALS || p === kStart) return -1;
    if (f === MAX_FIELDS) return first === 0 ? -1 : -2;
    store<i32>(keyStarts + (<usize>f << 2), kStart);
    store<i32>(keyEnds + (<usize>f << 2), p);
    p++;
    if (p < end && at(p) === QUOTE) return -1;
    const vStart = p;
    p = tokenEnd(p, end, COMMA, SPACE, NL, CR);
    if (p === vStart) return -1;
    const v = fieldValue(vStart, p);
    if (v !== v) return -1;
    store<f64>(values + (<usize>f << 3), v);
    store<u8>(statuses + <usize>f, v === Infinity || v === -Infinity ? FIELD_OUT_OF_RANGE : FIELD_OK);
    f++;
    if (p < end && at(p) === COMMA) p++;
    else break;
  }
  let stamp = now;
  while (p < end && at(p) === SPACE) p++;
  let c: u32 = 0;
  if (p < end && (c = at(p)) !== NL && c !== CR) {
    const tStart = p;
    p = tokenEnd(p, end, SPACE, NL, CR, TAB);
    stamp = timestampMicros(tStart, p, precision);
    if (stamp !== stamp) return -1;
  }
  while (p < end && ((c = at(p)) === SPACE || c === CR || c === TAB)) p++;
  if (p < end && at(p) !== NL) return -1;
  store<i32>(record, lineNo);
  store<i32>(record + 4, mStart);
  store<i32>(record + 8, mEnd);
  store<i32>(record + 12, dRank);
  store<i32>(record + 16, dStart);
  store<i32>(record + 20, dEnd);
  store<u32>(record + 24, dRank === NO_DEVICE ? 0 : fnv(dStart, dEnd));
  store<i32>(record + 28, first);
  store<i32>(record + 32, f - first);
  store<i32>(record + 36, sameShape(line, mStart, mEnd, first, f - first));
  store<f64>(stamps + (<usize>line << 3), stamp);
  fieldCount = f;
  return p;
}

/**
 * Reads lines of the body (reserve()d and written, `length` bytes) from byte `from`, whose line number
 * is `lineNo`, until the end, a line the host must read, or full output; returns the lines reported.
 */
export function scan(length: i32, from: i32, lineNo: i32, precision: i32, now: f64): i32 {
  const end = length;
  let p = from;
  let line = 0;
  fieldCount = 0;
  stopWhy = STOP_END;
  while (p < end) {
    let c = at(p);
    const lineStart = p;
    while ((c === SPACE || c === TAB || c === CR) && ++p < end) c = at(p);
    if (p >= end) break;
    let lineEnd: i32;
    if (c === NL) lineEnd = p;
    else if (c === HASH) {
      lineEnd = p;
      while (lineEnd < end && at(lineEnd) !== NL) lineEnd++;
    } else {
      if (line === MAX_LINES) {
        p = lineStart;
        stopWhy = STOP_FULL;
        break;
      }
      lineEnd = readLine(p, end, lineNo, line, precision, now);
      if (lineEnd < 0) {
        p = lineStart;
        stopWhy = lineEnd === -1 ? STOP_LINE : STOP_FULL;
        break;
      }
      line++;
    }
    lineNo++;
    p = lineEnd + 1;
  }
  stopAt = min(p, end);
  stopLine = lineNo;
  return line;
}

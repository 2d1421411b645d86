// The JSON frame scanner's exports: reads a device's JSON frame in the plain form, ASCII names without
// escapes, integral seq and ts, values that are booleans or numbers one rounding gives, and leaves per
// reading where its device and channel names lie (with their hashes) and its timestamp and value; the
// host turns names into ids. Any other frame (another key, an escape, a long number, anything the host
// would refuse or that is not JSON) returns −1, and the host's JSON.parse path reads it with its messages.
import { growTo } from "../memory/grow";
import { exactDecimal, exponent, exponentAt } from "../text/decimal";
import { align16, at, input, reserveInput } from "../text/input";

/** Readings one frame may bring through this scanner (more: the host reads the frame). */
export const MAX_READINGS: i32 = 16384;
/** Per reading, six i32: device start, end and FNV-1a hash, channel start, end and hash. */
export const READING_INTS: i32 = 6;

const FNV_BASIS: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
const MAX_SAFE: u64 = 9007199254740991;
const FAIL: i32 = -1;

const QUOTE: u32 = 34;
const BACKSLASH: u32 = 92;
const COMMA: u32 = 44;
const COLON: u32 = 58;
const LBRACE: u32 = 123;
const RBRACE: u32 = 125;
const LBRACKET: u32 = 91;
const RBRACKET: u32 = 93;
const MINUS: u32 = 45;
const DOT: u32 = 46;
const D0: u32 = 48;
const D9: u32 = 57;

// Keys, as bits of a set (a key twice: the host reads the frame, as JSON.parse keeps the last).
const K_SEQ: i32 = 1;
const K_DEVICE: i32 = 2;
const K_READINGS: i32 = 4;
const K_CHANNEL: i32 = 8;
const K_TS: i32 = 16;
const K_VALUE: i32 = 32;

let names: usize = 0;
let stamps: usize = 0;
let values: usize = 0;
let tablesEnd: usize = 0;
let end: i32 = 0;

// What the last read() found besides the readings.
let seq: f64 = -1;
let frameDevice: i32 = -1;
let frameDeviceEnd: i32 = -1;
let frameDeviceHash: u32 = 0;
// The value token just read (number(), integer(), text()).
let number_: f64 = 0;
let textHash: u32 = 0;
let count: i32 = 0;

function layout(): void {
  names = align16(__heap_base);
  stamps = align16(names + <usize>MAX_READINGS * <usize>READING_INTS * 4);
  values = align16(stamps + <usize>MAX_READINGS * 8);
  tablesEnd = values + <usize>MAX_READINGS * 8;
  growTo(tablesEnd);
}

/** Makes room for a frame of `length` bytes; returns where to write it (the address may change between calls). */
export function reserve(length: i32): usize {
  if (tablesEnd === 0) layout();
  return reserveInput(tablesEnd, length);
}

export function namesPtr(): usize {
  return names;
}
export function stampsPtr(): usize {
  return stamps;
}
export function valuesPtr(): usize {
  return values;
}
/** The frame's seq, or −1 when it has none. */
export function frameSeq(): f64 {
  return seq;
}

function ws(p: i32): i32 {
  while (p < end) {
    const c = at(p);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    p++;
  }
  return p;
}

/** Whether afterItem() passed a comma: another member or element follows. */
let another = false;

/**
 * Past an object member or array element that ends before p: skips whitespace and, when a comma
 * follows, the comma and the whitespace after it (setting `another`).
 */
function afterItem(p: i32): i32 {
  p = ws(p);
  another = p < end && at(p) === COMMA;
  return another ? ws(p + 1) : p;
}

/** The first member of the object opening at p (past whitespace), or FAIL when there is none: no object, or an empty one. */
function openObject(p: i32): i32 {
  if (p >= end || at(p) !== LBRACE) return FAIL;
  p = ws(p + 1);
  return p >= end || at(p) === RBRACE ? FAIL : p;
}

/**
 * A string at p of printable ASCII without escapes: returns the index after its closing quote (its
 * bytes: p + 1 … − 1), or FAIL; its FNV-1a hash goes to textHash when `hash`. 16 bytes a step.
 */
function text(p: i32, hash: bool): i32 {
  if (p >= end || at(p) !== QUOTE) return FAIL;
  const quote = i8x16.splat(<i8>QUOTE);
  const backslash = i8x16.splat(<i8>BACKSLASH);
  const low = i8x16.splat(0x20);
  const high = i8x16.splat(0x7f);
  let q = p + 1;
  while (q < end) {
    const v = v128.load(input + <usize>q);
    const stops = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), v128.or(i8x16.lt_u(v, low), i8x16.ge_u(v, high))));
    if (stops === 0) {
      q += 16;
      continue;
    }
    const k = q + <i32>ctz(stops);
    if (k >= end || at(k) !== QUOTE) return FAIL;
    if (hash) {
      let h = FNV_BASIS;
      for (let i = p + 1; i < k; i++) h = (h ^ at(i)) * FNV_PRIME;
      textHash = h;
    }
    return k + 1;
  }
  return FAIL;
}

/** Which key the string [s, e) is, or 0: its (at most eight) bytes as one little-endian word. */
function keyOf(s: i32, e: i32): i32 {
  const n = e - s;
  if (n < 2 || n > 8) return 0;
  const word = load<u64>(input + <usize>s) & (n === 8 ? <u64>-1 : (<u64>1 << (<u64>n << 3)) - 1);
  if (word === 0x716573) return K_SEQ;
  if (word === 0x7374) return K_TS;
  if (word === 0x65756c6176) return K_VALUE;
  if (word === 0x656369766564) return K_DEVICE;
  if (word === 0x6c656e6e616863) return K_CHANNEL;
  if (word === 0x73676e6964616572) return K_READINGS;
  return 0;
}

/** The key of the member at p into memberKey (0: not one of ours); returns the index of its value, or FAIL. */
let memberKey: i32 = 0;
function member(p: i32): i32 {
  const e = text(p, false);
  if (e === FAIL) return FAIL;
  memberKey = keyOf(p + 1, e - 1);
  p = ws(e);
  if (p >= end || at(p) !== COLON) return FAIL;
  return ws(p + 1);
}

/** member(), refusing a key not one of ours or one the object had already (the bits of `seen`). */
function memberOnce(p: i32, seen: i32): i32 {
  p = member(p);
  return p === FAIL || memberKey === 0 || (seen & memberKey) !== 0 ? FAIL : p;
}

/** A JSON integer at p (no fraction or exponent) within ±(2^53 − 1) into number_; returns the index after it, or FAIL. */
function integer(p: i32, signed: bool): i32 {
  let q = p;
  const negative = q < end && at(q) === MINUS;
  if (negative) {
    if (!signed) return FAIL;
    q++;
  }
  const start = q;
  let v: u64 = 0;
  while (q < end) {
    const c = at(q);
    if (c < D0 || c > D9) break;
    if (q - start === 16) return FAIL;
    v = v * 10 + <u64>(c - D0);
    q++;
  }
  if (q === start || (at(start) === D0 && q - start > 1) || v > MAX_SAFE) return FAIL;
  if (q < end) {
    const c = at(q);
    if (c === DOT || c === 101 || c === 69) return FAIL;
  }
  number_ = negative ? -<f64>v : <f64>v;
  return q;
}

/** A JSON number at p that one rounding reads (Clinger's fast path), or true / false, into number_; returns the index after it, or FAIL. */
function valueAt(p: i32): i32 {
  if (p >= end) return FAIL;
  let c = at(p);
  if (c === 116) {
    if (p + 4 <= end && at(p + 1) === 114 && at(p + 2) === 117 && at(p + 3) === 101) {
      number_ = 1;
      return p + 4;
    }
    return FAIL;
  }
  if (c === 102) {
    if (p + 5 <= end && at(p + 1) === 97 && at(p + 2) === 108 && at(p + 3) === 115 && at(p + 4) === 101) {
      number_ = 0;
      return p + 5;
    }
    return FAIL;
  }
  let q = p;
  const negative = c === MINUS;
  if (negative) q++;
  const intStart = q;
  let m: f64 = 0;
  while (q < end && (c = at(q)) >= D0 && c <= D9) {
    m = m * 10 + <f64>(c - D0);
    q++;
  }
  let digits = q - intStart;
  if (digits === 0 || (at(intStart) === D0 && digits > 1)) return FAIL;
  let scale = 0;
  if (q < end && at(q) === DOT) {
    q++;
    const fracStart = q;
    while (q < end && (c = at(q)) >= D0 && c <= D9) {
      m = m * 10 + <f64>(c - D0);
      q++;
    }
    scale = q - fracStart;
    if (scale === 0) return FAIL;
    digits += scale;
  }
  q = exponentAt(q, end);
  if (q === FAIL) return FAIL;
  const v = exactDecimal(m, digits, exponent - scale);
  if (v !== v) return FAIL;
  number_ = negative ? -v : v;
  return q;
}

/** Reads the value of member `key` (device, channel, ts or value) at p into reading k; returns the index after it, or FAIL. */
function readingMember(p: i32, key: i32, k: i32): i32 {
  if (key === K_DEVICE || key === K_CHANNEL) {
    const e = text(p, true);
    if (e === FAIL) return FAIL;
    const r = names + <usize>k * <usize>READING_INTS * 4 + (key === K_DEVICE ? 0 : 12);
    store<i32>(r, p + 1);
    store<i32>(r + 4, e - 1);
    store<u32>(r + 8, textHash);
    return e;
  }
  if (key === K_TS) p = integer(p, true);
  else if (key === K_VALUE) p = valueAt(p);
  else return FAIL;
  if (p !== FAIL) store<f64>((key === K_TS ? stamps : values) + (<usize>k << 3), number_);
  return p;
}

/** The members every reading needs. */
const NEEDED = K_CHANNEL | K_TS | K_VALUE;

/** Reads the reading object at p as reading `count`; returns the index after it, or FAIL. */
function reading(p: i32): i32 {
  store<i32>(names + <usize>count * <usize>READING_INTS * 4, -1);
  p = openObject(p);
  if (p === FAIL) return FAIL;
  let seen = 0;
  do {
    p = memberOnce(p, seen);
    if (p === FAIL) return FAIL;
    const key = memberKey;
    seen |= key;
    p = readingMember(p, key, count);
    if (p === FAIL) return FAIL;
    p = afterItem(p);
  } while (another);
  if ((seen & NEEDED) !== NEEDED || p >= end || at(p) !== RBRACE) return FAIL;
  count++;
  return p + 1;
}

/** Reads the frame (reserve()d and written, `length` bytes); returns its readings, or −1 for the host to read it. */
export function read(length: i32): i32 {
  end = length;
  count = 0;
  seq = -1;
  frameDevice = -1;
  let p = openObject(ws(0));
  if (p === FAIL) return FAIL;
  let seen = 0;
  do {
    p = memberOnce(p, seen);
    if (p === FAIL) return FAIL;
    const key = memberKey;
    if (key === K_SEQ) {
      p = integer(p, false);
      if (p === FAIL) return FAIL;
      seq = number_;
    } else if (key === K_DEVICE) {
      const e = text(p, true);
      if (e === FAIL) return FAIL;
      frameDevice = p + 1;
      frameDeviceEnd = e - 1;
      frameDeviceHash = textHash;
      p = e;
    } else if (key === K_READINGS) {
      if ((seen & NEEDED) !== 0 || p >= end || at(p) !== LBRACKET) return FAIL;
      p = ws(p + 1);
      if (p < end && at(p) !== RBRACKET) {
        do {
          if (count === MAX_READINGS) return FAIL;
          p = reading(p);
          if (p === FAIL) return FAIL;
          p = afterItem(p);
        } while (another);
      }
      if (p >= end || at(p) !== RBRACKET) return FAIL;
      p++;
    } else {
      // The frame is one reading: its channel, ts and value (and device) are the frame's own members.
      if ((seen & K_READINGS) !== 0) return FAIL;
      p = readingMember(p, key, 0);
      if (p === FAIL) return FAIL;
    }
    seen |= key;
    p = afterItem(p);
  } while (another);
  if (p >= end || at(p) !== RBRACE || ws(p + 1) !== end) return FAIL;
  if ((seen & K_READINGS) === 0) {
    if ((seen & NEEDED) !== NEEDED) return FAIL;
    store<i32>(names, -1);
    count = 1;
  }
  return fillDevices();
}

/** Gives readings without a device of their own the frame's; FAIL when there is none. */
function fillDevices(): i32 {
  for (let k = 0; k < count; k++) {
    const r = names + <usize>k * <usize>READING_INTS * 4;
    if (load<i32>(r) >= 0) continue;
    if (frameDevice < 0) return FAIL;
    store<i32>(r, frameDevice);
    store<i32>(r + 4, frameDeviceEnd);
    store<u32>(r + 8, frameDeviceHash);
  }
  return count;
}

// A block: one series' points with the header that summarises them. Layout (little-endian) in
// docs/format/block.md; a written format id never changes meaning.

import { crc32c } from "./checksum";
import { putVarint, getVarint, varintValue } from "./bytes";
import { encodeInts, decodeInts, MODE_AUTO } from "./ints";
import { encodeXor, decodeXor } from "./xor";
import { chooseExponent, encodeDecimal, decodeDecimal } from "./decimal";
import { encodeRuns, decodeRuns } from "./rle";
import * as S from "./stats";
import { tsBuf, valBuf, blockBuf, tmpBuf, pointCap, blockCap, MAX_POINTS } from "./workspace";
import * as E from "./errors";

export const MAGIC: u32 = 0x4b425049; // "IPBK"
export const VERSION: u8 = 1;
export const FIXED_HEADER: i32 = 112;

export const TS_INTS: u8 = 1;

export const VALUES_AUTO: i32 = 0;
export const VALUES_PLAIN: u8 = 1;
export const VALUES_DECIMAL: u8 = 2;
export const VALUES_XOR: u8 = 3;
export const VALUES_RUNS: u8 = 4;

/** XOR is only worth a try over a decimal stream costing more than this many bits per value. */
const XOR_WORTH_TRYING_BITS: i32 = 40;

function writeValues(codec: i32, n: i32, out: usize): usize {
  if (codec == VALUES_DECIMAL) {
    const e = chooseExponent(valBuf, n);
    return encodeDecimal(valBuf, n, e < 0 ? 0 : e, out);
  }
  if (codec == VALUES_XOR) return encodeXor(valBuf, n, out);
  if (codec == VALUES_RUNS) return encodeRuns(valBuf, n, out);
  memory.copy(out, valBuf, <usize>n << 3);
  return out + (<usize>n << 3);
}

/** Encodes the values at `out`, choosing the codec when `force` is 0; returns (end, codec id). */
let chosen: u8 = 0;

function encodeValues(n: i32, out: usize, force: i32): usize {
  if (force != VALUES_AUTO) {
    chosen = <u8>force;
    return writeValues(force, n, out);
  }
  const plain = <usize>n << 3;
  let best = plain;
  let bestCodec: u8 = VALUES_PLAIN;
  let bestIn = 0; // 0: nothing written yet; 1: at out; 2: in tmpBuf
  const e = chooseExponent(valBuf, n);
  if (e >= 0) {
    const size = encodeDecimal(valBuf, n, e, out) - out;
    if (size < best) {
      best = size;
      bestCodec = VALUES_DECIMAL;
      bestIn = 1;
    }
  }
  if (S.runs <= n >> 4) {
    const target = bestIn == 1 ? tmpBuf : out;
    const size = encodeRuns(valBuf, n, target) - target;
    if (size < best) {
      if (bestIn == 1) memory.copy(out, tmpBuf, size);
      best = size;
      bestCodec = VALUES_RUNS;
      bestIn = 1;
    }
  }
  if (bestCodec == VALUES_PLAIN || best * 8 > <usize>(n * XOR_WORTH_TRYING_BITS)) {
    const target = bestIn == 1 ? tmpBuf : out;
    const size = encodeXor(valBuf, n, target) - target;
    if (size < best) {
      if (bestIn == 1) memory.copy(out, tmpBuf, size);
      best = size;
      bestCodec = VALUES_XOR;
      bestIn = 1;
    }
  }
  chosen = bestCodec;
  if (bestCodec == VALUES_PLAIN) return writeValues(VALUES_PLAIN, n, out);
  return out + best;
}

/** Converts Float64Array timestamps in place to i64; fails on the first non-integral or unsafe one. */
function timestampsFromFloat(n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const slot = tsBuf + (<usize>i << 3);
    const t = load<f64>(slot);
    if (!(abs(t) <= 9007199254740992) || trunc(t) != t) return E.fail(E.ERR_TIMESTAMP, i, 0, 0);
    store<i64>(slot, <i64>t);
  }
  return 0;
}

/**
 * Encodes `n` points from tsBuf/valBuf into blockBuf. Returns the block's length or a negative code.
 * `forceValues` 0 lets the encoder choose; `forceTimestamps` -1 likewise (else an integer-stream mode).
 */
export function encodeBlock(n: i32, tsAreFloat: bool, forceValues: i32, forceTimestamps: i32): i32 {
  if (n < 1 || n > MAX_POINTS || n > pointCap) return E.fail(E.ERR_COUNT, 0, n, MAX_POINTS);
  if (forceValues < 0 || forceValues > <i32>VALUES_RUNS) return E.fail(E.ERR_CODEC_ID, 9, forceValues, 0);
  if (forceTimestamps < -1 || forceTimestamps > 4) return E.fail(E.ERR_CODEC_ID, 8, forceTimestamps, 0);
  if (tsAreFloat) {
    const bad = timestampsFromFloat(n);
    if (bad < 0) return bad;
  }
  const withSketch = n >= S.SKETCH_MIN_POINTS;
  S.timestampStats(tsBuf, n);
  S.valueStats(valBuf, n, withSketch);

  const b = blockBuf;
  let h = b + FIXED_HEADER;
  if (withSketch) {
    for (let k = 0; k < S.SKETCH_BUCKETS; k++) h = putVarint(h, <u64>load<u32>(S.sketch + (<usize>k << 2)));
  }
  const headerLen = <i32>(h - b) + 4;
  const tsStart = b + headerLen;
  const tsEnd = encodeInts(tsBuf, n, tsStart, forceTimestamps);
  const valEnd = encodeValues(n, tsEnd, forceValues);
  const total = <i32>(valEnd - b);
  if (<usize>total > blockCap) unreachable();

  store<u32>(b, MAGIC);
  store<u8>(b, VERSION, 4);
  store<u8>(b, 0, 5);
  store<u16>(b, <u16>headerLen, 6);
  store<u8>(b, TS_INTS, 8);
  store<u8>(b, chosen, 9);
  store<u8>(b, withSketch ? <u8>S.SKETCH_BUCKETS : 0, 10);
  store<u8>(b, 0, 11);
  store<u32>(b, <u32>n, 12);
  store<u32>(b, <u32>(tsEnd - tsStart), 16);
  store<u32>(b, <u32>(valEnd - tsEnd), 20);
  store<u32>(b, <u32>S.finite, 24);
  store<u32>(b, crc32c(tsStart, valEnd - tsStart), 28);
  store<i64>(b, S.tFirst, 32);
  store<i64>(b, S.tLast, 40);
  store<i64>(b, S.tMin, 48);
  store<i64>(b, S.tMax, 56);
  store<f64>(b, S.vFirst, 64);
  store<f64>(b, S.vLast, 72);
  store<f64>(b, S.vMin, 80);
  store<f64>(b, S.vMax, 88);
  store<f64>(b, S.vSum, 96);
  store<f64>(b, S.vM2, 104);
  store<u32>(b + headerLen - 4, crc32c(b, headerLen - 4));
  return total;
}

/**
 * Checks the header of the `len`-byte block in blockBuf: magic, version, header checksum, lengths.
 * Returns the point count or a negative code.
 */
export function checkHeader(len: i32): i32 {
  const b = blockBuf;
  if (len < FIXED_HEADER + 4) return E.fail(E.ERR_TRUNCATED, 0, len, FIXED_HEADER + 4);
  if (load<u32>(b) != MAGIC) return E.fail(E.ERR_MAGIC, 0, load<u32>(b), MAGIC);
  if (load<u8>(b, 4) != VERSION) return E.fail(E.ERR_VERSION, 4, load<u8>(b, 4), VERSION);
  const headerLen = <i32>load<u16>(b, 6);
  if (headerLen < FIXED_HEADER + 4) return E.fail(E.ERR_STREAM, 6, headerLen, FIXED_HEADER + 4);
  if (headerLen > len) return E.fail(E.ERR_TRUNCATED, 6, len, headerLen);
  const stored = load<u32>(b + headerLen - 4);
  const actual = crc32c(b, headerLen - 4);
  if (stored != actual) return E.fail(E.ERR_HEADER_CHECKSUM, headerLen - 4, stored, actual);
  const n = <i32>load<u32>(b, 12);
  if (n < 1 || n > MAX_POINTS) return E.fail(E.ERR_COUNT, 12, load<u32>(b, 12), MAX_POINTS);
  const payload = <u64>load<u32>(b, 16) + <u64>load<u32>(b, 20);
  const expected = <u64>headerLen + payload;
  if (expected > <u64>len) return E.fail(E.ERR_TRUNCATED, 16, len, expected);
  if (expected < <u64>len) return E.fail(E.ERR_LENGTH, 16, len, expected);
  return n;
}

/** Decodes the `len`-byte block in blockBuf into tsBuf (i64, or f64 when asked) and valBuf. */
export function decodeBlock(len: i32, tsAsFloat: bool): i32 {
  const n = checkHeader(len);
  if (n < 0) return n;
  if (n > pointCap) return E.fail(E.ERR_COUNT, 12, n, pointCap);
  const b = blockBuf;
  const headerLen = <usize>load<u16>(b, 6);
  const tsStart = b + headerLen;
  const tsEnd = tsStart + <usize>load<u32>(b, 16);
  const valEnd = tsEnd + <usize>load<u32>(b, 20);
  const stored = load<u32>(b, 28);
  const actual = crc32c(tsStart, valEnd - tsStart);
  if (stored != actual) return E.fail(E.ERR_PAYLOAD_CHECKSUM, 28, stored, actual);

  const tsCodec = load<u8>(b, 8);
  if (tsCodec != TS_INTS) return E.fail(E.ERR_CODEC_ID, 8, tsCodec, TS_INTS);
  if (decodeInts(tsStart, tsEnd, tsBuf, n) != tsEnd) return E.fail(E.ERR_STREAM, <i64>headerLen, tsEnd - tsStart, 0);

  const codec = load<u8>(b, 9);
  let end: usize = 0;
  if (codec == VALUES_PLAIN) {
    if (valEnd - tsEnd != <usize>n << 3) return E.fail(E.ERR_STREAM, tsEnd - b, valEnd - tsEnd, <i64>n << 3);
    memory.copy(valBuf, tsEnd, <usize>n << 3);
    end = valEnd;
  } else if (codec == VALUES_DECIMAL) {
    end = decodeDecimal(tsEnd, valEnd, valBuf, n);
  } else if (codec == VALUES_XOR) {
    end = decodeXor(tsEnd, valEnd, valBuf, n);
  } else if (codec == VALUES_RUNS) {
    end = decodeRuns(tsEnd, valEnd, valBuf, n);
  } else {
    return E.fail(E.ERR_CODEC_ID, 9, codec, 0);
  }
  if (end != valEnd) return E.fail(E.ERR_STREAM, tsEnd - b, valEnd - tsEnd, end == 0 ? -1 : end - tsEnd);

  if (tsAsFloat) {
    for (let i = 0; i < n; i++) {
      const slot = tsBuf + (<usize>i << 3);
      const t = load<i64>(slot);
      if (t > 9007199254740992 || t < -9007199254740992) return E.fail(E.ERR_TIMESTAMP_RANGE, i, t, 0);
      store<f64>(slot, <f64>t);
    }
  }
  return n;
}

/**
 * Decodes the `len`-byte block in blockBuf (timestamps as f64, like decodeBlock) and checks what a block
 * made elsewhere (at the edge) must satisfy to be stored as it is: timestamps strictly increase, and
 * the header states its points' statistics exactly (finite count, timestamps, first/last/min/max, sum,
 * M2, sketch), as queries answer from headers alone. Returns count · 2 + 1 when the block passes,
 * count · 2 when it decodes but fails a check, or a negative code when it does not decode.
 */
export function decodeTrusted(len: i32): i32 {
  const n = decodeBlock(len, false);
  if (n < 0) return n;
  const trusted = statsMatch(n);
  for (let i = 0; i < n; i++) {
    const slot = tsBuf + (<usize>i << 3);
    const t = load<i64>(slot);
    if (t > 9007199254740992 || t < -9007199254740992) return E.fail(E.ERR_TIMESTAMP_RANGE, i, t, 0);
    store<f64>(slot, <f64>t);
  }
  return (n << 1) | <i32>trusted;
}

/** Whether the decoded points (i64 timestamps) strictly increase and agree with blockBuf's header. */
function statsMatch(n: i32): bool {
  for (let i = 1; i < n; i++) {
    if (load<i64>(tsBuf + (<usize>i << 3)) <= load<i64>(tsBuf + (<usize>(i - 1) << 3))) return false;
  }
  const withSketch = n >= S.SKETCH_MIN_POINTS;
  S.timestampStats(tsBuf, n);
  S.valueStats(valBuf, n, withSketch);
  const b = blockBuf;
  if (load<u32>(b, 24) != <u32>S.finite) return false;
  if (load<i64>(b, 32) != S.tFirst || load<i64>(b, 40) != S.tLast || load<i64>(b, 48) != S.tMin || load<i64>(b, 56) != S.tMax) return false;
  if (!sameBits(b, 64, S.vFirst) || !sameBits(b, 72, S.vLast) || !sameBits(b, 80, S.vMin)) return false;
  if (!sameBits(b, 88, S.vMax) || !sameBits(b, 96, S.vSum) || !sameBits(b, 104, S.vM2)) return false;
  if (load<u8>(b, 10) != (withSketch ? <u8>S.SKETCH_BUCKETS : 0)) return false;
  if (!withSketch) return true;
  let p = b + FIXED_HEADER;
  const end = b + <usize>load<u16>(b, 6) - 4;
  for (let k = 0; k < S.SKETCH_BUCKETS; k++) {
    const next = getVarint(p, end);
    if (next == 0 || varintValue != <u64>load<u32>(S.sketch + (<usize>k << 2))) return false;
    p = next;
  }
  return p == end;
}

/** Whether the double stored at b + offset has exactly the bits of `v` (NaN payloads and −0 included). */
// @ts-ignore: decorator
@inline
function sameBits(b: usize, offset: usize, v: f64): bool {
  return load<u64>(b + offset) == reinterpret<u64>(v);
}

// Writes binary frames (docs/format/frame.md) for device clients, the simulator and the load
// generator: readings as columns in, one Uint8Array out. Rows are written into a scratch buffer reused
// across calls, so the only allocation per frame is the returned copy.
import type { ReadingColumns } from "../../archive/batch.js";
import { FrameError } from "./errors.js";
import {
  FLAG_HAS_SEQ,
  FRAME_MAGIC,
  FRAME_VERSION,
  FrameType,
  TAG_DIVISOR,
  VALUE_DECIMAL,
  VALUE_F32,
  VALUE_F64,
  VALUE_INT,
} from "./binary-format.js";
import { MAX_SAFE, putVarint, putVarintBig, varintSize, zigzag } from "./varint.js";

/** Integers, mantissas and timestamp deltas below this in magnitude have a zigzag ≤ 2^53 − 1. */
const TWO_52 = 2 ** 52;
/** Values below this in magnitude are tried as decimals: m = v · 10^4 stays far from 2^52. */
const DECIMAL_LIMIT = 2 ** 51 / 10000;
/** A row is at most 5 (device) + 6 (channel·8 + tag) + 10 (timestamp) + 8 (value) bytes. */
const MAX_ROW_BYTES = 29;

let out = new Uint8Array(1 << 16);
/** Frame-local index of each dictionary entry of the caller's columns; −1 = not used yet. */
let deviceLocal = new Int32Array(256).fill(-1);
let channelLocal = new Int32Array(256).fill(-1);
const utf8 = new TextEncoder();
/** Set by valueTag() for the varint tags: the integer written. */
let mantissa = 0;

/** Makes the scratch hold `bytes`, keeping what was written. */
function ensureOut(bytes: number): void {
  if (bytes <= out.length) return;
  const grown = new Uint8Array(Math.max(bytes, out.length * 2));
  grown.set(out);
  out = grown;
}

function ensureLocal(devices: number, channels: number): void {
  if (devices > deviceLocal.length) deviceLocal = new Int32Array(Math.max(devices, deviceLocal.length * 2)).fill(-1);
  if (channels > channelLocal.length) channelLocal = new Int32Array(Math.max(channels, channelLocal.length * 2)).fill(-1);
}

/** Frame header: magic, version, type, flags, seq. */
function putHeader(at: number, type: FrameType, seq: number | undefined): number {
  if (seq !== undefined && !(Number.isInteger(seq) && seq >= 0 && seq <= MAX_SAFE)) {
    throw new FrameError("BAD_INPUT", `seq ${seq} is not an integer in 0..2^53 − 1`);
  }
  out.set(FRAME_MAGIC, at);
  out[at + 4] = FRAME_VERSION;
  out[at + 5] = type;
  out[at + 6] = seq === undefined ? 0 : FLAG_HAS_SEQ;
  return seq === undefined ? at + 7 : putVarint(out, at + 7, seq);
}

/** UTF-8 length of a name; refuses lone surrogates, which UTF-8 cannot carry. */
function utf8Length(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else {
      const next = name.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new FrameError("BAD_INPUT", `name ${JSON.stringify(name)} has a lone surrogate at ${i}: not UTF-8`);
      }
      n += 4;
      i++;
    }
  }
  return n;
}

/** A dictionary: count, then each name as varint byte length + UTF-8. */
function putDictionary(at: number, names: readonly string[], used: readonly number[]): number {
  at = putVarint(out, at, used.length);
  for (const id of used) {
    const name = names[id];
    const n = utf8Length(name);
    ensureOut(at + 10 + n);
    at = putVarint(out, at, n);
    utf8.encodeInto(name, out.subarray(at, at + n));
    at += n;
  }
  return at;
}

/**
 * The smallest lossless tag for `v`: integer or decimal varint, else float32 when it holds `v`
 * exactly, else float64. A varint longer than 4 bytes loses to an exact float32.
 */
function valueTag(v: number): number {
  const f32 = Math.fround(v) === v; // false for NaN, which keeps its payload as float64
  if (Number.isInteger(v)) {
    if (Math.abs(v) >= TWO_52 || (v === 0 && 1 / v < 0)) return f32 ? VALUE_F32 : VALUE_F64;
    mantissa = v;
    return f32 && varintSize(zigzag(v)) > 4 ? VALUE_F32 : VALUE_INT;
  }
  if (Math.abs(v) < DECIMAL_LIMIT) {
    for (let tag = VALUE_DECIMAL; tag < VALUE_DECIMAL + 4; tag++) {
      const p = TAG_DIVISOR[tag];
      const m = Math.round(v * p);
      // The decoder computes exactly m / p: equal here means bit-exact there.
      if (m / p === v) {
        mantissa = m;
        return f32 && varintSize(zigzag(m)) > 4 ? VALUE_F32 : tag;
      }
    }
  }
  return f32 ? VALUE_F32 : VALUE_F64;
}

/**
 * Encodes readings `from` … `to` − 1 of `readings` as a binary readings frame (type 1). Only the
 * devices and channels those rows use are written, numbered in order of first use, so a large
 * dictionary costs nothing. Timestamps must be integral µs within ±2^53; values are any doubles and
 * decode bit for bit. Throws FrameError "BAD_INPUT" for columns that break that.
 */
export function encodeBinaryFrame(seq: number | undefined, readings: ReadingColumns, from = 0, to = readings.values.length): Uint8Array {
  const { devices, channels, device, channel, timestamps, values } = readings;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= values.length)) {
    throw new FrameError("BAD_INPUT", `rows ${from}..${to} are not within the ${values.length} readings`);
  }
  if (device.length < to || channel.length < to || timestamps.length < to) {
    throw new FrameError("BAD_INPUT", `columns differ in length: device ${device.length}, channel ${channel.length}, ts ${timestamps.length}, value ${values.length}`);
  }
  ensureLocal(devices.length, channels.length);
  const usedDevices: number[] = [];
  const usedChannels: number[] = [];
  try {
    for (let i = from; i < to; i++) {
      const d = device[i];
      const c = channel[i];
      if (d >= devices.length || c >= channels.length) {
        throw new FrameError("BAD_INPUT", `reading ${i} refers to device ${d} / channel ${c} outside the dictionaries (${devices.length} / ${channels.length})`);
      }
      if (deviceLocal[d] < 0) deviceLocal[d] = usedDevices.push(d) - 1;
      if (channelLocal[c] < 0) channelLocal[c] = usedChannels.push(c) - 1;
    }
    ensureOut(7 + 10 + 20 + (to - from) * MAX_ROW_BYTES);
    let at = putHeader(0, FrameType.readings, seq);
    at = putDictionary(at, devices, usedDevices);
    at = putDictionary(at, channels, usedChannels);
    ensureOut(at + 10 + (to - from) * MAX_ROW_BYTES);
    at = putVarint(out, at, to - from);
    at = putRows(at, readings, from, to);
    return out.slice(0, at);
  } finally {
    for (const d of usedDevices) deviceLocal[d] = -1;
    for (const c of usedChannels) channelLocal[c] = -1;
  }
}

function putRows(at: number, readings: ReadingColumns, from: number, to: number): number {
  const { device, channel, timestamps, values } = readings;
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const view = new DataView(out.buffer);
  const buf = out;
  let prev = 0;
  for (let i = from; i < to; i++) {
    const t = timestamps[i];
    if (!(Number.isInteger(t) && Math.abs(t) <= MAX_SAFE)) {
      throw new FrameError("BAD_INPUT", `reading ${i} has timestamp ${t}: not an integral number of µs within ±2^53`);
    }
    const v = values[i];
    const tag = valueTag(v);
    at = putVarint(buf, at, deviceLocal[device[i]]);
    at = putVarint(buf, at, channelLocal[channel[i]] * 8 + tag);
    const delta = t - prev;
    if (Math.abs(delta) < TWO_52) at = putVarint(buf, at, zigzag(delta));
    else {
      // Far apart (more than 142 years): exact only in BigInt.
      const d = BigInt(t) - BigInt(prev);
      at = putVarintBig(buf, at, d >= 0n ? d << 1n : (-d << 1n) - 1n);
    }
    prev = t;
    if (tag === VALUE_F64) {
      // Copied as bytes: the payload of any NaN survives.
      const src = i * 8;
      for (let k = 0; k < 8; k++) buf[at + k] = valueBytes[src + k];
      at += 8;
    } else if (tag === VALUE_F32) {
      view.setFloat32(at, v, true);
      at += 4;
    } else at = putVarint(buf, at, zigzag(mantissa));
  }
  return at;
}

/** One series' block for {@link encodeBlockFrame}: an iotpipe/codec block of `device`'s `channel`. */
export interface BlockEntry {
  device: string;
  channel: string;
  /** The block exactly as Codec.encode returned it. */
  block: Uint8Array;
}

/**
 * Encodes codec blocks as a binary block frame (type 2): edge gateways compress each series with
 * iotpipe/codec and send the blocks as they are; the pipeline can store in-order blocks unchanged.
 */
export function encodeBlockFrame(seq: number | undefined, blocks: readonly BlockEntry[]): Uint8Array {
  const devices: string[] = [];
  const channels: string[] = [];
  const deviceIds = new Map<string, number>();
  const channelIds = new Map<string, number>();
  let bytes = 7 + 10 + 10;
  for (const b of blocks) {
    if (!deviceIds.has(b.device)) deviceIds.set(b.device, devices.push(b.device) - 1);
    if (!channelIds.has(b.channel)) channelIds.set(b.channel, channels.push(b.channel) - 1);
    bytes += 15 + b.block.length;
  }
  ensureOut(bytes);
  let at = putHeader(0, FrameType.blocks, seq);
  at = putDictionary(at, devices, devices.map((_, i) => i));
  at = putDictionary(at, channels, channels.map((_, i) => i));
  ensureOut(at + bytes);
  at = putVarint(out, at, blocks.length);
  for (const b of blocks) {
    at = putVarint(out, at, deviceIds.get(b.device)!);
    at = putVarint(out, at, channelIds.get(b.channel)!);
    at = putVarint(out, at, b.block.length);
    out.set(b.block, at);
    at += b.block.length;
  }
  return out.slice(0, at);
}

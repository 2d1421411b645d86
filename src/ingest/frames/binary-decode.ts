// Reads binary frames (docs/format/frame.md) into a BatchBuilder: readings frames row by row, block
// frames through the codec. Structure that cannot be trusted (bad magic, lengths past the end, an index
// outside a dictionary) refuses the whole frame; a bad name refuses only the readings that use it.
import { CodecError, type Codec } from "../../codec/index.js";
import type { BatchBuilder } from "../batch-builder.js";
import { BAD_NAME, FrameDictionary } from "./binary-dictionary.js";
import {
  FLAG_HAS_SEQ,
  FRAME_FIXED_BYTES,
  FRAME_MAGIC,
  FRAME_VERSION,
  FrameType,
  MIN_BLOCK_ENTRY_BYTES,
  MIN_ROW_BYTES,
  TAG_DIVISOR,
  VALUE_F32,
  VALUE_F64,
  VALUE_INT,
} from "./binary-format.js";
import { FrameError, type Rejection } from "./errors.js";
import type { DecodedFrame, FrameLimits } from "./frame.js";
import { ByteCursor, MAX_SAFE } from "./varint.js";

/** One codec block of a block frame, as the pipeline needs it to store the block without re-encoding. */
export interface FrameBlock {
  device: string;
  channel: string;
  /** Builder index of the block's first reading (its readings follow in stored order). */
  first: number;
  /** Readings in the block. */
  count: number;
  /**
   * Whether the block can be stored as it is: its timestamps strictly increase and its header states
   * exactly its points' statistics (Codec.decodeChecked).
   */
  storable: boolean;
  /** The block's bytes: a view into the frame, valid as long as the frame's buffer is; copy to keep. */
  block: Uint8Array;
}

/** What decoding a binary frame produced. */
export interface BinaryFrame extends DecodedFrame {
  /** The frame's type (byte 5). */
  type: FrameType;
  /** Block frames: the blocks whose readings were kept, in frame order. Empty for readings frames. */
  blocks: FrameBlock[];
}

/**
 * Decodes a binary frame into `builder`. Block frames (type 2) need `codec` (one per thread, shared by
 * all frames). Throws FrameError for a frame that cannot be read, leaving the builder's readings as
 * they were; readings with a bad device or channel name are returned as rejections.
 */
export function decodeBinaryFrame(input: Uint8Array, builder: BatchBuilder, limits: FrameLimits, codec?: Codec): BinaryFrame {
  const start = builder.length;
  try {
    return decode(input, builder, limits, codec);
  } catch (err) {
    builder.truncate(start);
    throw err;
  }
}

function decode(input: Uint8Array, builder: BatchBuilder, limits: FrameLimits, codec: Codec | undefined): BinaryFrame {
  if (!(input instanceof Uint8Array)) throw new FrameError("BAD_MAGIC", "a binary frame is a Uint8Array");
  const cur = new ByteCursor(input);
  for (let k = 0; k < FRAME_MAGIC.length && k < input.length; k++) {
    if (input[k] !== FRAME_MAGIC[k]) {
      const magic = Array.from(input.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
      throw new FrameError("BAD_MAGIC", `not an iotpipe frame: starts ${magic}, expected 49 50 46 52 ("IPFR")`, k);
    }
  }
  cur.need(FRAME_FIXED_BYTES, "the frame header");
  const version = input[4];
  if (version !== FRAME_VERSION) {
    throw new FrameError("BAD_VERSION", `frame version ${version} is not supported (this decoder reads ${FRAME_VERSION})`, 4);
  }
  const type = input[5];
  if (type !== FrameType.readings && type !== FrameType.blocks) {
    throw new FrameError("BAD_TYPE", `frame type ${type} is unknown (1 = readings, 2 = blocks)`, 5);
  }
  const flags = input[6];
  if ((flags & ~FLAG_HAS_SEQ) !== 0) throw new FrameError("BAD_FIELD", `frame flags 0x${flags.toString(16)} set unknown bits`, 6);
  cur.pos = FRAME_FIXED_BYTES;
  const seq = flags & FLAG_HAS_SEQ ? cur.varint("seq") : undefined;
  const devices = FrameDictionary.read(cur, "device", limits);
  const channels = FrameDictionary.read(cur, "channel", limits);
  const rejected: Rejection[] = [];
  const blocks: FrameBlock[] = [];
  let readings: number;
  if (type === FrameType.readings) {
    readings = readRows(cur, devices, channels, builder, limits, rejected);
  } else {
    if (codec === undefined) throw new FrameError("BAD_TYPE", "block frames (type 2) are not accepted here: no codec was given", 5);
    readings = readBlocks(cur, devices, channels, builder, limits, codec, rejected, blocks);
  }
  if (cur.pos !== input.length) {
    throw new FrameError("TRAILING_BYTES", `${input.length - cur.pos} bytes after the last ${type === 1 ? "row" : "block"} at byte ${cur.pos}`, cur.pos);
  }
  return { seq, readings, rejected, type, blocks };
}

/** Reads the count of rows or blocks and checks it against the bytes left and the limits. */
function readCount(cur: ByteCursor, what: string, minBytes: number, limits: FrameLimits): number {
  const at = cur.pos;
  const n = cur.varint(`${what} count`);
  if (n > limits.maxReadings) {
    throw new FrameError("TOO_LARGE", `${n} ${what}s at byte ${at}: more than the ${limits.maxReadings} readings a frame may carry`, at);
  }
  if (n * minBytes > cur.left) {
    throw new FrameError("TRUNCATED", `${n} ${what}s at byte ${at} need at least ${n * minBytes} bytes, ${cur.left} are left`, at);
  }
  return n;
}

function readRows(cur: ByteCursor, devices: FrameDictionary, channels: FrameDictionary, builder: BatchBuilder, limits: FrameLimits, rejected: Rejection[]): number {
  const n = readCount(cur, "row", MIN_ROW_BYTES, limits);
  const bytes = cur.bytes;
  const end = cur.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const deviceCount = devices.size;
  const channelCount = channels.size;
  let p = cur.pos;
  let prev = 0;
  let added = 0;
  for (let r = 0; r < n; r++) {
    const rowAt = p;
    // Fast path: one-byte varints (small dictionaries, equal timestamps); the cursor takes the rest.
    let di: number;
    if (p < end && bytes[p] < 0x80) di = bytes[p++];
    else {
      cur.pos = p;
      di = cur.varint("device index of row", r);
      p = cur.pos;
    }
    let ct: number;
    if (p < end && bytes[p] < 0x80) ct = bytes[p++];
    else {
      cur.pos = p;
      ct = cur.varint("channel of row", r);
      p = cur.pos;
    }
    // Timestamp delta: up to three bytes inline (±1 s at 1 µs covers sampled sensors).
    let t: number;
    const b0 = p < end ? bytes[p] : 0x80;
    const b1 = p + 1 < end ? bytes[p + 1] : 0x80;
    let z = -1;
    if (b0 < 0x80) {
      z = b0;
      p += 1;
    } else if (b1 < 0x80) {
      z = (b0 & 0x7f) | (b1 << 7);
      p += 2;
    } else if (p + 2 < end && bytes[p + 2] < 0x80) {
      z = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (bytes[p + 2] << 14);
      p += 3;
    }
    if (z >= 0) t = prev + ((z >>> 1) ^ -(z & 1));
    else {
      cur.pos = p;
      t = timestampAfter(cur, prev, r);
      p = cur.pos;
    }
    if (t > MAX_SAFE || t < -MAX_SAFE) {
      throw new FrameError("BAD_FIELD", `timestamp of row ${r} at byte ${rowAt} is outside ±2^53 µs`, rowAt);
    }
    prev = t;
    const tag = ct % 8;
    const ci = (ct - tag) / 8;
    if (di >= deviceCount || ci >= channelCount) {
      throw new FrameError("BAD_INDEX", `row ${r} at byte ${rowAt} refers to device ${di} / channel ${ci}; the frame has ${deviceCount} / ${channelCount}`, rowAt);
    }
    let v: number;
    if (tag === VALUE_F64) {
      if (p + 8 > end) throw truncated(r, rowAt, end);
      v = view.getFloat64(p, true);
      p += 8;
    } else if (tag === VALUE_F32) {
      if (p + 4 > end) throw truncated(r, rowAt, end);
      v = view.getFloat32(p, true);
      p += 4;
    } else if (tag <= VALUE_INT + 4) {
      let z: number;
      if (p < end && bytes[p] < 0x80) z = bytes[p++];
      else {
        cur.pos = p;
        z = cur.varint("value of row", r);
        p = cur.pos;
      }
      const m = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      v = tag === VALUE_INT ? m : m / TAG_DIVISOR[tag];
    } else {
      throw new FrameError("BAD_FIELD", `row ${r} at byte ${rowAt} has value tag ${tag}, which is reserved`, rowAt);
    }
    const d = devices.id(di, builder, limits);
    const c = channels.id(ci, builder, limits);
    if (d === BAD_NAME || c === BAD_NAME) {
      rejected.push({ index: r, reason: "bad_name", detail: d === BAD_NAME ? devices.problem(di) : channels.problem(ci) });
    } else {
      builder.add(d, c, t, v);
      added++;
    }
  }
  cur.pos = p;
  return added;
}

function truncated(r: number, rowAt: number, end: number): FrameError {
  return new FrameError("TRUNCATED", `row ${r} at byte ${rowAt} runs past the end of the frame (${end} bytes)`, rowAt);
}

/** The slow path of a row's timestamp: any varint, BigInt when the delta is past ±2^52. */
function timestampAfter(cur: ByteCursor, prev: number, r: number): number {
  const at = cur.pos;
  let t: number;
  let z: number | undefined;
  try {
    z = cur.varint("timestamp of row", r);
  } catch (err) {
    if (!(err instanceof FrameError && err.code === "TOO_LARGE")) throw err;
  }
  if (z !== undefined) t = z % 2 === 0 ? prev + z / 2 : prev - (z + 1) / 2;
  else {
    cur.pos = at;
    const zb = cur.varintBig("timestamp of row", r);
    const tb = BigInt(prev) + ((zb & 1n) === 0n ? zb >> 1n : -((zb + 1n) >> 1n));
    t = tb >= BigInt(-MAX_SAFE) && tb <= BigInt(MAX_SAFE) ? Number(tb) : Infinity;
  }
  if (!(t >= -MAX_SAFE && t <= MAX_SAFE)) {
    throw new FrameError("BAD_FIELD", `timestamp of row ${r} at byte ${at} is outside ±2^53 µs`, at);
  }
  return t;
}

function readBlocks(
  cur: ByteCursor,
  devices: FrameDictionary,
  channels: FrameDictionary,
  builder: BatchBuilder,
  limits: FrameLimits,
  codec: Codec,
  rejected: Rejection[],
  blocks: FrameBlock[],
): number {
  const n = readCount(cur, "block", MIN_BLOCK_ENTRY_BYTES, limits);
  let seen = 0; // readings of the frame so far, kept or refused
  let added = 0;
  for (let k = 0; k < n; k++) {
    const entryAt = cur.pos;
    const di = cur.varint("device index of block", k);
    const ci = cur.varint("channel index of block", k);
    if (di >= devices.size || ci >= channels.size) {
      throw new FrameError("BAD_INDEX", `block ${k} at byte ${entryAt} refers to device ${di} / channel ${ci}; the frame has ${devices.size} / ${channels.size}`, entryAt);
    }
    const length = cur.varint("length of block", k);
    const blockAt = cur.pos;
    const block = cur.view(length, "block", k);
    // The header's point count (checksum-verified) is checked before decoding sizes anything by it.
    const count = withCodec(k, blockAt, () => codec.summary(block).count);
    if (seen + count > limits.maxReadings) {
      throw new FrameError("TOO_LARGE", `block ${k} at byte ${blockAt} brings the frame to ${seen + count} readings, more than ${limits.maxReadings}`, blockAt);
    }
    const d = devices.id(di, builder, limits);
    const c = channels.id(ci, builder, limits);
    if (d === BAD_NAME || c === BAD_NAME) {
      rejected.push({ index: seen, reason: "bad_name", detail: d === BAD_NAME ? devices.problem(di) : channels.problem(ci), count });
      seen += count;
      continue;
    }
    const { timestamps, values, trusted } = withCodec(k, blockAt, () => codec.decodeChecked(block));
    const first = builder.length;
    for (let i = 0; i < values.length; i++) builder.add(d, c, timestamps[i], values[i]);
    blocks.push({ device: devices.name(di), channel: channels.name(ci), first, count: values.length, storable: trusted, block });
    seen += values.length;
    added += values.length;
  }
  return added;
}

/** Runs a codec call, turning its CodecError into the frame's BAD_BLOCK. */
function withCodec<T>(k: number, at: number, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    throw new FrameError("BAD_BLOCK", `block ${k} at byte ${at}: ${err.message} (${err.code})`, at, { cause: err });
  }
}

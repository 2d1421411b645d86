// Reads a block's header into a BlockSummary: what queries answer without decoding a single point.
import { HEADER, valueCodecName, type ValueCodec } from "./format.js";
import { CodecError } from "./errors.js";

/** An equal-width histogram of a block's finite values over [min, max]: mergeable across blocks. */
export interface BlockSketch {
  /** Lower edge of the first bucket (the block's finite minimum). */
  readonly min: number;
  /** Upper edge of the last bucket (the block's finite maximum). */
  readonly max: number;
  /** Points per bucket; bucket i covers [min + i·w, min + (i+1)·w) with w = (max − min) / counts.length. */
  readonly counts: Uint32Array;
}

/** What a block's header says about its points. Value statistics cover finite values only. */
export interface BlockSummary {
  /** Points in the block. */
  readonly count: number;
  /** Points whose value is finite (not NaN or ±∞). */
  readonly finiteCount: number;
  /** Timestamp of the first and last point as stored, and the smallest and largest (µs, exact to 2^53). */
  readonly tFirst: number;
  readonly tLast: number;
  readonly tMin: number;
  readonly tMax: number;
  /** Value of the first and last point as stored (any double, NaN included). */
  readonly first: number;
  readonly last: number;
  /** Smallest and largest finite value; NaN when there is none. */
  readonly min: number;
  readonly max: number;
  /** Compensated sum of the finite values. */
  readonly sum: number;
  /** Σ(x − mean)² over the finite values: with count and sum it merges exactly (Chan et al.). */
  readonly m2: number;
  /** Histogram of the finite values, or null for blocks under 128 points. */
  readonly sketch: BlockSketch | null;
  /** How the values are stored. */
  readonly valueCodec: ValueCodec;
  /** Bytes in the whole block, and in its timestamp and value streams. */
  readonly bytes: number;
  readonly timestampBytes: number;
  readonly valueBytes: number;
}

/** @internal Parses a header whose checksum and lengths were already verified. */
export function parseSummary(block: Uint8Array, blockLength: number): BlockSummary {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const headerLength = view.getUint16(HEADER.headerLength, true);
  const buckets = view.getUint8(HEADER.sketchBuckets);
  const f64 = (at: number) => view.getFloat64(at, true);
  const i64 = (at: number) => Number(view.getBigInt64(at, true));
  const codec = valueCodecName(view.getUint8(HEADER.valueCodec));
  if (codec === undefined) {
    throw new CodecError("UNKNOWN_CODEC", `unknown value codec id ${view.getUint8(HEADER.valueCodec)}`, HEADER.valueCodec);
  }
  const min = f64(HEADER.min);
  const max = f64(HEADER.max);
  let sketch: BlockSketch | null = null;
  if (buckets > 0) {
    const counts = new Uint32Array(buckets);
    let p = HEADER.fixedBytes;
    const end = headerLength - 4;
    for (let k = 0; k < buckets; k++) {
      let v = 0;
      let shift = 0;
      for (;;) {
        if (p >= end || shift > 28) throw new CodecError("CORRUPT_STREAM", `sketch bucket ${k} runs past the header`, p);
        const byte = block[p++];
        v += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
        shift += 7;
      }
      if (v > 0xffffffff) throw new CodecError("CORRUPT_STREAM", `sketch bucket ${k} holds ${v}, more than a block can`, p);
      counts[k] = v;
    }
    const total = counts.reduce((sum, c) => sum + c, 0);
    const finite = view.getUint32(HEADER.finiteCount, true);
    if (total !== finite) throw new CodecError("CORRUPT_STREAM", `sketch counts add up to ${total}, the header says ${finite} finite values`, HEADER.fixedBytes);
    sketch = { min, max, counts };
  }
  return {
    count: view.getUint32(HEADER.count, true),
    finiteCount: view.getUint32(HEADER.finiteCount, true),
    tFirst: i64(HEADER.tFirst),
    tLast: i64(HEADER.tLast),
    tMin: i64(HEADER.tMin),
    tMax: i64(HEADER.tMax),
    first: f64(HEADER.first),
    last: f64(HEADER.last),
    min,
    max,
    sum: f64(HEADER.sum),
    m2: f64(HEADER.m2),
    sketch,
    valueCodec: codec,
    bytes: blockLength,
    timestampBytes: view.getUint32(HEADER.timestampBytes, true),
    valueBytes: view.getUint32(HEADER.valueBytes, true),
  };
}

/**
 * @internal Parses a header whose bytes another checksum already vouches for (a segment index covers
 * every header it copies), skipping the header CRC; the magic, version and lengths are still checked.
 */
export function summaryOfVouchedHeader(header: Uint8Array, blockLength: number): BlockSummary {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < HEADER.fixedBytes + 4 || view.getUint32(0, true) !== HEADER.magic || header[4] !== HEADER.version) {
    throw new CodecError("BAD_MAGIC", "not an iotpipe block header", 0);
  }
  const headerLength = view.getUint16(HEADER.headerLength, true);
  const streams = view.getUint32(HEADER.timestampBytes, true) + view.getUint32(HEADER.valueBytes, true);
  if (headerLength !== header.length || headerLength + streams !== blockLength) {
    throw new CodecError("LENGTH_MISMATCH", `header describes ${headerLength} + ${streams} bytes, the index ${header.length} and ${blockLength}`, 0);
  }
  return parseSummary(header, blockLength);
}

// The binary frame's written ids (docs/format/frame.md draws the layout byte by byte). A written id
// never changes meaning: a new layout gets a new version or type, and the decoder for every id stays.

/** @internal "IPFR": the first four bytes of every binary frame. */
export const FRAME_MAGIC = [0x49, 0x50, 0x46, 0x52] as const;
/** @internal The layout version this module writes and reads. */
export const FRAME_VERSION = 1;
/** @internal Bytes before the optional seq: magic, version, type, flags. */
export const FRAME_FIXED_BYTES = 7;

/** What a binary frame carries (byte 5). */
export const FrameType = {
  /** Rows of (device, channel, timestamp, value). */
  readings: 1,
  /** iotpipe/codec blocks, one series each, compressed at the edge. */
  blocks: 2,
} as const;
/** A binary frame's type id. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** @internal Flag bits (byte 6). Any other bit set is refused: a new meaning needs a new version. */
export const FLAG_HAS_SEQ = 1;

/**
 * @internal How a row's value is stored: the low 3 bits of the row's channel varint.
 * 0: float64 LE (8 bytes, bit for bit). 1: float32 LE (4 bytes; only values float32 holds exactly).
 * 2: integer, varint zigzag. 3–6: decimal with 1–4 digits after the point, varint zigzag(m), value m / 10^k.
 * 7: reserved.
 */
export const VALUE_F64 = 0;
/** @internal */
export const VALUE_F32 = 1;
/** @internal */
export const VALUE_INT = 2;
/** @internal Tag of a decimal with k digits after the point is VALUE_DECIMAL + k − 1 (k = 1…4). */
export const VALUE_DECIMAL = 3;
/** @internal Powers of ten by tag: the decimal tags' divisors (exact doubles). */
export const TAG_DIVISOR = [0, 0, 1, 10, 100, 1000, 10000, 0] as const;
/** @internal Smallest row: device, channel+tag and timestamp varints of one byte, a one-byte value. */
export const MIN_ROW_BYTES = 4;
/** @internal Smallest block entry: three one-byte varints (device, channel, length). */
export const MIN_BLOCK_ENTRY_BYTES = 3;

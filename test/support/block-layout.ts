// The block header as docs/format/block.md draws it, written down independently of src/ so a test that
// pokes at fields checks the documented format rather than the implementation's own idea of it.
import { crc32c } from "./crc32c.js";

/** Byte offsets of the header's fields (little-endian). */
export const FIELD = {
  magic: 0,
  version: 4,
  flags: 5,
  headerLength: 6,
  timestampCodec: 8,
  valueCodec: 9,
  sketchBuckets: 10,
  reserved: 11,
  count: 12,
  timestampBytes: 16,
  valueBytes: 20,
  finiteCount: 24,
  payloadCrc: 28,
  sketch: 112,
} as const;

/** The smallest header: the fixed fields and the header checksum. */
export const MIN_HEADER_BYTES = 116;

function view(block: Uint8Array): DataView {
  return new DataView(block.buffer, block.byteOffset, block.byteLength);
}

export function readU16(block: Uint8Array, at: number): number {
  return view(block).getUint16(at, true);
}

export function readU32(block: Uint8Array, at: number): number {
  return view(block).getUint32(at, true);
}

export function writeU16(block: Uint8Array, at: number, v: number): void {
  view(block).setUint16(at, v, true);
}

export function writeU32(block: Uint8Array, at: number, v: number): void {
  view(block).setUint32(at, v >>> 0, true);
}

/** Header length H: where the streams start. */
export function headerLength(block: Uint8Array): number {
  return readU16(block, FIELD.headerLength);
}

/**
 * Rewrites both checksums in place so a tampered block passes them: the payload CRC over every byte after
 * the header (what the decoder checks once the lengths add up), then the header CRC over [0, H − 4).
 * Does nothing to a checksum whose place lies outside the block.
 */
export function reseal(block: Uint8Array): Uint8Array {
  const h = headerLength(block);
  if (block.length >= FIELD.payloadCrc + 4 && h <= block.length) writeU32(block, FIELD.payloadCrc, crc32c(block, h));
  if (h >= FIELD.payloadCrc + 8 && h <= block.length) writeU32(block, h - 4, crc32c(block, 0, h - 4));
  return block;
}

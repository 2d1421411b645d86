// Writes one segment file durably (temp, fsync, rename, fsync directory).
import { crc32 } from "node:zlib";
import { HEADER } from "../codec/format.js";
import { writeFileAtomic } from "./atomic-file.js";
import {
  SEGMENT_MAGIC,
  FOOTER_MAGIC,
  SEGMENT_VERSION,
  SEGMENT_HEADER_BYTES,
  FOOTER_BYTES,
  FLAG_LATE,
  ENTRY_PREFIX_BYTES,
} from "./segment-format.js";

/** A block to store: its bytes, series, seal sequence and lateness. */
export interface BlockToWrite {
  key: string;
  block: Uint8Array;
  sequence: number;
  late: boolean;
}

const encoder = new TextEncoder();

function headerLength(block: Uint8Array): number {
  return block[HEADER.headerLength] | (block[HEADER.headerLength + 1] << 8);
}

/** Lays out a segment's bytes. */
export function segmentBytes(blocks: readonly BlockToWrite[]): Uint8Array {
  const keys = [...new Set(blocks.map((b) => b.key))];
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  const keyBytes = keys.map((k) => encoder.encode(k));
  const dataBytes = blocks.reduce((s, b) => s + 2 + keyBytes[keyIndex.get(b.key)!].length + ENTRY_PREFIX_BYTES + b.block.length, 0);
  const indexBytes =
    4 + keyBytes.reduce((s, k) => s + 2 + k.length, 0) + 4 + blocks.reduce((s, b) => s + 30 + headerLength(b.block), 0);
  const out = new Uint8Array(SEGMENT_HEADER_BYTES + dataBytes + indexBytes + FOOTER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint8(4, SEGMENT_VERSION);
  let at = SEGMENT_HEADER_BYTES;
  const offsets: number[] = [];
  for (const b of blocks) {
    const key = keyBytes[keyIndex.get(b.key)!];
    view.setUint16(at, key.length, true);
    out.set(key, at + 2);
    at += 2 + key.length;
    view.setUint8(at, b.late ? FLAG_LATE : 0);
    view.setFloat64(at + 1, b.sequence, true);
    at += ENTRY_PREFIX_BYTES;
    offsets.push(at);
    out.set(b.block, at);
    at += b.block.length;
  }
  const indexStart = at;
  view.setUint32(at, keys.length, true);
  at += 4;
  for (const k of keyBytes) {
    view.setUint16(at, k.length, true);
    out.set(k, at + 2);
    at += 2 + k.length;
  }
  view.setUint32(at, blocks.length, true);
  at += 4;
  blocks.forEach((b, i) => {
    const h = headerLength(b.block);
    view.setUint32(at, keyIndex.get(b.key)!, true);
    view.setUint8(at + 4, b.late ? FLAG_LATE : 0);
    view.setFloat64(at + 8, b.sequence, true);
    view.setFloat64(at + 16, offsets[i], true);
    view.setUint32(at + 24, b.block.length, true);
    view.setUint16(at + 28, h, true);
    out.set(b.block.subarray(0, h), at + 30);
    at += 30 + h;
  });
  view.setFloat64(at, indexStart, true);
  view.setUint32(at + 8, at - indexStart, true);
  view.setUint32(at + 12, crc32(out.subarray(indexStart, at)), true);
  view.setUint32(at + 16, SEGMENT_VERSION, true);
  view.setUint32(at + 20, FOOTER_MAGIC, true);
  return out;
}

/** Writes a segment file durably; returns its size in bytes. */
export async function writeSegment(file: string, blocks: readonly BlockToWrite[]): Promise<number> {
  const bytes = segmentBytes(blocks);
  await writeFileAtomic(file, bytes);
  return bytes.length;
}

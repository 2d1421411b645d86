// Reads a segment's index: the footer first, then the index it points at. (Blocks are read through
// the archive's FileHandles.)
import { openSync, fstatSync, readSync, closeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { ArchiveError, ioError } from "./errors.js";
import { FOOTER_MAGIC, SEGMENT_VERSION, FOOTER_BYTES, SEGMENT_HEADER_BYTES, FLAG_LATE, type IndexedBlock } from "./segment-format.js";

const decoder = new TextDecoder();

/** The tail read at once: footer and index together for all but the largest segments. */
const TAIL_BYTES = 256 << 10;

function readAt(fd: number, offset: number, length: number, file: string): Uint8Array {
  const buffer = new Uint8Array(length);
  const bytesRead = readSync(fd, buffer, 0, length, offset);
  if (bytesRead !== length) {
    throw new ArchiveError("CORRUPT_SEGMENT", `${file}: wanted ${length} bytes at ${offset}, the file has ${bytesRead}`, file);
  }
  return buffer;
}

/**
 * Reads and checks the index of segment `file`. Synchronous I/O: a cold query opens hundreds of small
 * indexes, already in the page cache, and thread-pool round trips would cost more than the reads.
 */
export async function readSegmentIndex(file: string): Promise<IndexedBlock[]> {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw ioError(err, "opening segment", file);
  }
  try {
    const { size } = fstatSync(fd);
    const bad = (why: string) => new ArchiveError("CORRUPT_SEGMENT", `${file}: ${why}`, file);
    if (size < SEGMENT_HEADER_BYTES + FOOTER_BYTES) throw bad(`${size} bytes is too short for a segment`);
    const tailStart = Math.max(0, size - TAIL_BYTES);
    const tail = readAt(fd, tailStart, size - tailStart, file);
    const footer = new DataView(tail.buffer, tail.length - FOOTER_BYTES, FOOTER_BYTES);
    if (footer.getUint32(20, true) !== FOOTER_MAGIC) throw bad("no segment footer (torn or not a segment)");
    if (footer.getUint32(16, true) !== SEGMENT_VERSION) throw bad(`segment version ${footer.getUint32(16, true)} is not supported`);
    const indexStart = footer.getFloat64(0, true);
    const indexLength = footer.getUint32(8, true);
    if (!Number.isInteger(indexStart) || indexStart < SEGMENT_HEADER_BYTES || indexStart + indexLength !== size - FOOTER_BYTES) {
      throw bad(`index at ${indexStart} (+${indexLength}) does not end at the footer`);
    }
    const index = indexStart >= tailStart ? tail.subarray(indexStart - tailStart, indexStart - tailStart + indexLength) : readAt(fd, indexStart, indexLength, file);
    if (crc32(index) !== footer.getUint32(12, true)) throw bad("index checksum mismatch");
    return parseIndex(index, indexStart, bad);
  } finally {
    closeSync(fd);
  }
}

function parseIndex(index: Uint8Array, dataEnd: number, bad: (why: string) => ArchiveError): IndexedBlock[] {
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > index.length) throw bad(`index ends early at byte ${at}`);
  };
  need(4);
  const keys: string[] = [];
  const keyCount = view.getUint32(at, true);
  at += 4;
  for (let i = 0; i < keyCount; i++) {
    need(2);
    const len = view.getUint16(at, true);
    need(2 + len);
    keys.push(decoder.decode(index.subarray(at + 2, at + 2 + len)));
    at += 2 + len;
  }
  need(4);
  const count = view.getUint32(at, true);
  at += 4;
  const blocks: IndexedBlock[] = [];
  for (let i = 0; i < count; i++) {
    need(30);
    const series = view.getUint32(at, true);
    const offset = view.getFloat64(at + 16, true);
    const length = view.getUint32(at + 24, true);
    const headerLength = view.getUint16(at + 28, true);
    need(30 + headerLength);
    if (series >= keys.length) throw bad(`block ${i} names series ${series} of ${keys.length}`);
    if (!Number.isInteger(offset) || offset < SEGMENT_HEADER_BYTES || offset + length > dataEnd) {
      throw bad(`block ${i} at ${offset} (+${length}) lies outside the data`);
    }
    blocks.push({
      key: keys[series],
      late: (view.getUint8(at + 4) & FLAG_LATE) !== 0,
      sequence: view.getFloat64(at + 8, true),
      offset,
      length,
      header: index.slice(at + 30, at + 30 + headerLength),
    });
    at += 30 + headerLength;
  }
  return blocks;
}

// The payload of a WAL record: one appended batch as its series' names and run lengths, then the
// readings of all runs, one after another, as codec blocks (at most 2^20 points each). One block for
// the whole batch keeps the log small however few readings each series has (a gateway frame carries
// about one per series); per-series blocks would cost a block header per reading.
//
// Edge-compressed blocks of the batch follow as they arrived (format 3), so they are never re-encoded.
//
// u8 format (3) · u32 runs · per run: u16 key bytes · key (UTF-8) · u32 points · u32 blocks · per block: u32 bytes · block
//   · u32 edge blocks · per edge block: u16 key bytes · key · u32 bytes · block
// Format 2 records (written before edge blocks existed) end after the run blocks; they replay as ever.
import { MAX_BLOCK_POINTS, type Codec } from "../codec/index.js";
import type { SeriesRuns } from "./batch.js";
import { ArchiveError } from "./errors.js";
import { seriesName, splitSeriesKey, type SeriesName } from "./series-key.js";
import { arrivedBlock, type ArrivedBlock } from "./edge-blocks.js";

const FORMAT = 3;
const FORMAT_WITHOUT_EDGE_BLOCKS = 2;
const decoder = new TextDecoder();

/** @internal */
export function encodeWalRecord(codec: Codec, { series, starts, timestamps, values }: SeriesRuns, edge: readonly ArrivedBlock[]): Uint8Array {
  const total = timestamps.length;
  const blocks: Uint8Array[] = [];
  for (let from = 0; from < total; from += MAX_BLOCK_POINTS) {
    const to = Math.min(total, from + MAX_BLOCK_POINTS);
    blocks.push(codec.encode(timestamps.subarray(from, to), values.subarray(from, to)));
  }
  const keys = series.map((s) => s.bytes);
  const edgeBytes = edge.reduce((n, b) => n + 2 + b.series.bytes.length + 4 + b.bytes.length, 4);
  const size = 1 + 4 + keys.reduce((n, k) => n + 2 + k.length + 4, 0) + 4 + blocks.reduce((n, b) => n + 4 + b.length, 0) + edgeBytes;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = FORMAT;
  view.setUint32(1, keys.length, true);
  let at = 5;
  keys.forEach((key, i) => {
    view.setUint16(at, key.length, true);
    out.set(key, at + 2);
    at += 2 + key.length;
    view.setUint32(at, starts[i + 1] - starts[i], true);
    at += 4;
  });
  view.setUint32(at, blocks.length, true);
  at += 4;
  for (const b of blocks) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  view.setUint32(at, edge.length, true);
  at += 4;
  for (const b of edge) {
    const key = b.series.bytes;
    view.setUint16(at, key.length, true);
    out.set(key, at + 2);
    at += 2 + key.length;
    view.setUint32(at, b.bytes.length, true);
    out.set(b.bytes, at + 4);
    at += 4 + b.bytes.length;
  }
  return out;
}

/** @internal */
export function decodeWalRecord(codec: Codec, payload: Uint8Array, file: string): { runs: SeriesRuns; edge: ArrivedBlock[] } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (why: string) => new ArchiveError("CORRUPT_WAL", `WAL record in ${file}: ${why}`, file);
  const format = payload[0];
  if (payload.length < 5 || (format !== FORMAT && format !== FORMAT_WITHOUT_EDGE_BLOCKS)) throw bad(`format ${format} is neither ${FORMAT} nor ${FORMAT_WITHOUT_EDGE_BLOCKS}`);
  const count = view.getUint32(1, true);
  if (count > payload.length) throw bad(`${count} runs in ${payload.length} bytes`);
  const series: SeriesName[] = [];
  const starts = new Uint32Array(count + 1);
  let at = 5;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at + 2 > payload.length) throw bad(`run ${i} starts past the end`);
    const keyLength = view.getUint16(at, true);
    if (at + 2 + keyLength + 4 > payload.length) throw bad(`run ${i} runs past the end`);
    const key = decoder.decode(payload.subarray(at + 2, at + 2 + keyLength));
    at += 2 + keyLength;
    const points = view.getUint32(at, true);
    at += 4;
    const { device, channel } = splitSeriesKey(key);
    series.push(seriesName(device, channel));
    total += points;
    if (total > 0xffffffff) throw bad(`run ${i} takes the record past 2^32 points`);
    starts[i + 1] = total;
  }
  if (at + 4 > payload.length) throw bad("block count past the end");
  const blockCount = view.getUint32(at, true);
  at += 4;
  if (blockCount !== Math.ceil(total / MAX_BLOCK_POINTS)) throw bad(`${blockCount} blocks for ${total} points`);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let filled = 0;
  for (let b = 0; b < blockCount; b++) {
    if (at + 4 > payload.length) throw bad(`block ${b} past the end`);
    const length = view.getUint32(at, true);
    if (at + 4 + length > payload.length) throw bad(`block ${b} runs past the end`);
    const part = codec.decode(payload.subarray(at + 4, at + 4 + length));
    if (filled + part.values.length > total) throw bad(`block ${b} holds more points than the runs`);
    timestamps.set(part.timestamps, filled);
    values.set(part.values, filled);
    filled += part.values.length;
    at += 4 + length;
  }
  if (filled !== total) throw bad(`blocks hold ${filled} points, runs ${total}`);
  const runs = { series, starts, timestamps, values };
  const edge: ArrivedBlock[] = [];
  if (format === FORMAT) {
    if (at + 4 > payload.length) throw bad("edge block count past the end");
    const count = view.getUint32(at, true);
    at += 4;
    for (let k = 0; k < count; k++) {
      if (at + 2 > payload.length) throw bad(`edge block ${k} starts past the end`);
      const keyLength = view.getUint16(at, true);
      if (at + 2 + keyLength + 4 > payload.length) throw bad(`edge block ${k} runs past the end`);
      const { device, channel } = splitSeriesKey(decoder.decode(payload.subarray(at + 2, at + 2 + keyLength)));
      at += 2 + keyLength;
      const length = view.getUint32(at, true);
      if (at + 4 + length > payload.length) throw bad(`edge block ${k} runs past the end`);
      edge.push(arrivedBlock(codec, seriesName(device, channel), payload.slice(at + 4, at + 4 + length), `WAL record in ${file}, edge block ${k}`));
      at += 4 + length;
    }
  }
  if (at !== payload.length) throw bad(`${payload.length - at} bytes after the last block`);
  return { runs, edge };
}

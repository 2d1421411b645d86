// The payload of a WAL record: one appended batch as its series' names and run lengths, then the
// readings of all runs, one after another, as codec blocks (at most 2^20 points each). One block for
// the whole batch keeps the log small however few readings each series has (a gateway frame carries
// about one per series); per-series blocks would cost a block header per reading.
//
// u8 format (2) · u32 runs · per run: u16 key bytes · key (UTF-8) · u32 points · u32 blocks · per block: u32 bytes · block
import { MAX_BLOCK_POINTS, type Codec } from "../codec/index.js";
import type { SeriesRuns } from "./batch.js";
import { ArchiveError } from "./errors.js";
import { seriesName, splitSeriesKey, type SeriesName } from "./series-key.js";

const FORMAT = 2;
const decoder = new TextDecoder();

/** @internal */
export function encodeWalRecord(codec: Codec, { series, starts, timestamps, values }: SeriesRuns): Uint8Array {
  const total = timestamps.length;
  const blocks: Uint8Array[] = [];
  for (let from = 0; from < total; from += MAX_BLOCK_POINTS) {
    const to = Math.min(total, from + MAX_BLOCK_POINTS);
    blocks.push(codec.encode(timestamps.subarray(from, to), values.subarray(from, to)));
  }
  const keys = series.map((s) => s.bytes);
  const size = 1 + 4 + keys.reduce((n, k) => n + 2 + k.length + 4, 0) + 4 + blocks.reduce((n, b) => n + 4 + b.length, 0);
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
  return out;
}

/** @internal */
export function decodeWalRecord(codec: Codec, payload: Uint8Array, file: string): SeriesRuns {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (why: string) => new ArchiveError("CORRUPT_WAL", `WAL record in ${file}: ${why}`, file);
  if (payload.length < 5 || payload[0] !== FORMAT) throw bad(`format ${payload[0]} is not ${FORMAT}`);
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
  return { series, starts, timestamps, values };
}

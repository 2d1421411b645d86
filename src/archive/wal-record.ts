// The payload of a WAL record: one appended batch as its series and run lengths, then the readings of
// all runs, one after another, as codec blocks (at most 2^20 points each). One block for the whole
// batch keeps the log small however few readings each series has (a gateway frame carries about one
// per series); per-series blocks would cost a block header per reading. Edge-compressed blocks of the
// batch follow as they arrived, so they are never re-encoded.
//
// Format 4 names a series by its number in the WAL file (wal-dictionary.ts): a record first defines
// the series the file has not seen yet, numbered on from the file's earlier definitions. Keys in
// every record cost formats 2 and 3 about 25 bytes per one-reading run, 30 B per reading on disk.
//   u8 format (4) · varint defined · per defined series: varint key bytes · key (UTF-8: device NUL channel)
//   · varint runs · per run: varint series number · varint points · varint blocks · per block: varint bytes · block
//   · varint edge blocks · per edge block: varint series number · varint bytes · block
// Formats 2 and 3 (still replayed; u16/u32 little-endian):
//   u8 format (3) · u32 runs · per run: u16 key bytes · key · u32 points · u32 blocks · per block: u32 bytes · block
//   · u32 edge blocks · per edge block: u16 key bytes · key · u32 bytes · block
// Format 2 records (written before edge blocks existed) end after the run blocks.
import { MAX_BLOCK_POINTS, type Codec } from "../codec/index.js";
import { putVarint, readVarint32, varintSize } from "../codec/varint.js";
import type { SeriesRuns } from "./batch.js";
import { ArchiveError } from "./errors.js";
import { seriesName, splitSeriesKey, type SeriesName } from "./series-key.js";
import { arrivedBlock, type ArrivedBlock } from "./edge-blocks.js";
import type { WalDictionary } from "./wal-dictionary.js";

const FORMAT = 4;
const FORMAT_WITH_KEYS = 3;
const FORMAT_WITHOUT_EDGE_BLOCKS = 2;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** @internal A record to write, and the series it defines (for the file's dictionary once written). */
export interface WalRecord {
  payload: Uint8Array;
  defines: SeriesName[];
}

/** @internal Encodes a batch for the WAL file whose series numbers are `names`. */
export function encodeWalRecord(codec: Codec, { series, starts, timestamps, values }: SeriesRuns, edge: readonly ArrivedBlock[], names: WalDictionary): WalRecord {
  const defines: SeriesName[] = [];
  const fresh = new Map<SeriesName, number>();
  const numberOf = (s: SeriesName): number => {
    let id = names.idOf(s) ?? fresh.get(s);
    if (id === undefined) {
      id = names.size + defines.length;
      fresh.set(s, id);
      defines.push(s);
    }
    return id;
  };
  const runIds = new Uint32Array(series.length);
  const edgeIds = new Uint32Array(edge.length);
  let size = 1 + varintSize(series.length) + varintSize(edge.length);
  for (let i = 0; i < series.length; i++) {
    runIds[i] = numberOf(series[i]);
    size += varintSize(runIds[i]) + varintSize(starts[i + 1] - starts[i]);
  }
  for (let k = 0; k < edge.length; k++) {
    edgeIds[k] = numberOf(edge[k].series);
    size += varintSize(edgeIds[k]) + varintSize(edge[k].bytes.length) + edge[k].bytes.length;
  }
  size += varintSize(defines.length);
  // A series' name is written once per WAL file: encoded here, not kept (80 k series would hold 37 MB of small buffers).
  const defined = defines.map((s) => encoder.encode(s.key));
  for (const bytes of defined) size += varintSize(bytes.length) + bytes.length;
  const blocks: Uint8Array[] = [];
  const total = timestamps.length;
  for (let from = 0; from < total; from += MAX_BLOCK_POINTS) {
    const to = Math.min(total, from + MAX_BLOCK_POINTS);
    const block = codec.encode(timestamps.subarray(from, to), values.subarray(from, to));
    blocks.push(block);
    size += varintSize(block.length) + block.length;
  }
  size += varintSize(blocks.length);

  const out = new Uint8Array(size);
  out[0] = FORMAT;
  let at = putVarint(out, 1, defines.length);
  for (const bytes of defined) {
    at = putVarint(out, at, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  }
  at = putVarint(out, at, series.length);
  for (let i = 0; i < series.length; i++) {
    at = putVarint(out, at, runIds[i]);
    at = putVarint(out, at, starts[i + 1] - starts[i]);
  }
  at = putVarint(out, at, blocks.length);
  for (const b of blocks) {
    at = putVarint(out, at, b.length);
    out.set(b, at);
    at += b.length;
  }
  at = putVarint(out, at, edge.length);
  for (let k = 0; k < edge.length; k++) {
    at = putVarint(out, at, edgeIds[k]);
    at = putVarint(out, at, edge[k].bytes.length);
    out.set(edge[k].bytes, at);
    at += edge[k].bytes.length;
  }
  if (at !== size) throw new Error(`BUG: WAL record of ${size} bytes written to ${at}`);
  return { payload: out, defines };
}

type Bad = (why: string) => ArchiveError;

/**
 * @internal Decodes one record of WAL file `file`. `names` is the file's series so far, by number:
 * records are decoded in file order, and a format 4 record's definitions are added to it.
 */
export function decodeWalRecord(codec: Codec, payload: Uint8Array, file: string, names: SeriesName[]): { runs: SeriesRuns; edge: ArrivedBlock[] } {
  const bad: Bad = (why) => new ArchiveError("CORRUPT_WAL", `WAL record in ${file}: ${why}`, file);
  const format = payload[0];
  if (format === FORMAT && payload.length >= 4) return decodeNumbered(codec, payload, file, names, bad);
  if ((format === FORMAT_WITH_KEYS || format === FORMAT_WITHOUT_EDGE_BLOCKS) && payload.length >= 5) return decodeKeyed(codec, payload, file, bad);
  throw bad(`format ${format} is not one of ${FORMAT}, ${FORMAT_WITH_KEYS}, ${FORMAT_WITHOUT_EDGE_BLOCKS} (or the record is too short)`);
}

/** Reads format 4: series by their number in the file. */
function decodeNumbered(codec: Codec, payload: Uint8Array, file: string, names: SeriesName[], bad: Bad): { runs: SeriesRuns; edge: ArrivedBlock[] } {
  const end = payload.length;
  let at = 1;
  const next = (what: string): number => {
    const v = readVarint32(payload, at, end);
    if (!v) throw bad(`${what} at byte ${at} is not a varint of 32 bits within the record`);
    at = v.end;
    return v.value;
  };
  const bytesOf = (length: number, what: string): Uint8Array => {
    if (length > end - at) throw bad(`${what} of ${length} bytes at byte ${at} runs past the end (${end})`);
    at += length;
    return payload.subarray(at - length, at);
  };
  const named = (id: number, what: string): SeriesName => {
    if (id >= names.length) throw bad(`${what} names series ${id}, but the file has defined ${names.length}`);
    return names[id];
  };
  const defined = next("defined series count");
  if (defined > end) throw bad(`${defined} series defined in ${end} bytes`);
  for (let k = 0; k < defined; k++) {
    const { device, channel } = splitSeriesKey(decoder.decode(bytesOf(next(`key length of defined series ${k}`), `key of defined series ${k}`)));
    names.push(seriesName(device, channel));
  }
  const count = next("run count");
  if (count > end) throw bad(`${count} runs in ${end} bytes`);
  const series: SeriesName[] = [];
  const starts = new Uint32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    series.push(named(next(`series of run ${i}`), `run ${i}`));
    total += next(`points of run ${i}`);
    if (total > 0xffffffff) throw bad(`run ${i} takes the record past 2^32 points`);
    starts[i + 1] = total;
  }
  const blockCount = next("block count");
  if (blockCount > end) throw bad(`${blockCount} blocks in ${end} bytes`);
  const blocks: Uint8Array[] = [];
  for (let b = 0; b < blockCount; b++) blocks.push(bytesOf(next(`length of block ${b}`), `block ${b}`));
  const runs = { series, starts, ...pointsOf(codec, blocks, total, bad) };
  const edgeCount = next("edge block count");
  if (edgeCount > end) throw bad(`${edgeCount} edge blocks in ${end} bytes`);
  const edge: ArrivedBlock[] = [];
  for (let k = 0; k < edgeCount; k++) {
    const s = named(next(`series of edge block ${k}`), `edge block ${k}`);
    const bytes = bytesOf(next(`length of edge block ${k}`), `edge block ${k}`).slice();
    edge.push(arrivedBlock(codec, s, bytes, `WAL record in ${file}, edge block ${k}`));
  }
  if (at !== end) throw bad(`${end - at} bytes after the last block`);
  return { runs, edge };
}

/** Reads formats 2 and 3: each run and edge block with its series' key. */
function decodeKeyed(codec: Codec, payload: Uint8Array, file: string, bad: Bad): { runs: SeriesRuns; edge: ArrivedBlock[] } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
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
  const blocks: Uint8Array[] = [];
  for (let b = 0; b < blockCount && b <= payload.length; b++) {
    if (at + 4 > payload.length) throw bad(`block ${b} past the end`);
    const length = view.getUint32(at, true);
    if (at + 4 + length > payload.length) throw bad(`block ${b} runs past the end`);
    blocks.push(payload.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const runs = { series, starts, ...pointsOf(codec, blocks, total, bad) };
  const edge: ArrivedBlock[] = [];
  if (payload[0] === FORMAT_WITH_KEYS) {
    if (at + 4 > payload.length) throw bad("edge block count past the end");
    const edgeCount = view.getUint32(at, true);
    at += 4;
    for (let k = 0; k < edgeCount; k++) {
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

/** The runs' readings from their blocks, which must hold exactly `total` points in ceil(total / 2^20) blocks. */
function pointsOf(codec: Codec, blocks: readonly Uint8Array[], total: number, bad: Bad): { timestamps: Float64Array; values: Float64Array } {
  if (blocks.length !== Math.ceil(total / MAX_BLOCK_POINTS)) throw bad(`${blocks.length} blocks for ${total} points`);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let filled = 0;
  blocks.forEach((block, b) => {
    const part = codec.decode(block);
    if (filled + part.values.length > total) throw bad(`block ${b} holds more points than the runs`);
    timestamps.set(part.timestamps, filled);
    values.set(part.values, filled);
    filled += part.values.length;
  });
  if (filled !== total) throw bad(`blocks hold ${filled} points, runs ${total}`);
  return { timestamps, values };
}

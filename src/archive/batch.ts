// What append() takes: readings of many series as columns (or an Arrow RecordBatch with the schema of
// DESIGN.md), checked and split into one run of points per series.
import { type RecordBatch, type Vector } from "apache-arrow";
import { ArchiveError } from "./errors.js";
import { nameIn, seriesTable, type SeriesName } from "./series-key.js";

/** Readings of many series, column by column; devices and channels are dictionary-encoded. */
export interface ReadingColumns {
  /** Device ids referenced by `device`. */
  devices: readonly string[];
  /** Channel names referenced by `channel`. */
  channels: readonly string[];
  /** Per reading: index into `devices`. */
  device: Uint32Array;
  /** Per reading: index into `channels`. */
  channel: Uint32Array;
  /** Per reading: microseconds since the epoch (integral). */
  timestamps: Float64Array;
  /** Per reading: the value. */
  values: Float64Array;
  /**
   * Codec blocks that carry some of these readings as they arrived (edge-compressed): the archive
   * stores such a block's bytes instead of re-encoding its readings when it fits the layout.
   */
  blocks?: EdgeBlocks;
}

/**
 * Codec blocks (iotpipe/codec) carrying readings of a batch. Block k holds rows rows[k] …
 * rows[k] + counts[k] − 1, all of one series, and its bytes are bytes[offsets[k] … offsets[k + 1]).
 */
export interface EdgeBlocks {
  rows: Uint32Array;
  counts: Uint32Array;
  /** counts.length + 1 byte offsets into `bytes`. */
  offsets: Uint32Array;
  bytes: Uint8Array;
}

/**
 * @internal A batch split by series: run i is series[i]'s readings in arrival order, points
 * starts[i] … starts[i + 1] − 1 of the columns. Offsets, not an object per run: a gateway batch has
 * thousands of series of one reading each.
 */
export interface SeriesRuns {
  series: SeriesName[];
  /** series.length + 1 offsets into the columns. */
  starts: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** Microseconds per unit of Arrow's TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND). */
const MICROS_PER_UNIT = [1e6, 1e3, 1, 1e-3];

/** Converts an Arrow RecordBatch (device, channel: dictionary<utf8> or utf8; ts: timestamp; value: float64). */
export function columnsFromArrow(batch: RecordBatch): ReadingColumns {
  const device = batch.getChild("device");
  const channel = batch.getChild("channel");
  const ts = batch.getChild("ts");
  const value = batch.getChild("value");
  if (!device || !channel || !ts || !value) {
    throw new ArchiveError("BAD_BATCH", "an Arrow batch needs the columns device, channel, ts and value");
  }
  for (const [name, column] of [["device", device], ["channel", channel], ["ts", ts], ["value", value]] as const) {
    if (column.nullCount > 0) throw new ArchiveError("BAD_BATCH", `column ${name} has ${column.nullCount} null(s): every reading needs all four`);
  }
  const unit = (ts.type as { unit?: number }).unit;
  if (unit === undefined || MICROS_PER_UNIT[unit] === undefined) throw new ArchiveError("BAD_BATCH", `column ts must be an Arrow timestamp, not ${ts.type}`);
  const scale = MICROS_PER_UNIT[unit];
  const [devices, deviceIndex] = dictionary(device, "device");
  const [channels, channelIndex] = dictionary(channel, "channel");
  const raw = ts.toArray() as BigInt64Array | Float64Array;
  // Nanoseconds round toward the past, as they do for line protocol.
  const timestamps = Float64Array.from(raw as ArrayLike<number | bigint>, (t) => {
    if (typeof t !== "bigint") return scale < 1 ? Math.floor(t * scale) : t * scale;
    if (scale >= 1) return Number(t) * scale;
    return Number(t >= 0n ? t / 1000n : (t - 999n) / 1000n);
  });
  return { devices, channels, device: deviceIndex, channel: channelIndex, timestamps, values: Float64Array.from(value.toArray() as Float64Array) };
}

function dictionary(column: Vector, name: string): [string[], Uint32Array] {
  if (column.data.length !== 1 || !column.data[0].dictionary) {
    // Plain utf8 (or several chunks): build the dictionary here.
    const words: string[] = [];
    const ids = new Map<string, number>();
    const index = new Uint32Array(column.length);
    for (let i = 0; i < column.length; i++) {
      const word = column.get(i);
      if (typeof word !== "string") throw new ArchiveError("BAD_BATCH", `${name} of reading ${i} is not a string`);
      let id = ids.get(word);
      if (id === undefined) ids.set(word, (id = words.push(word) - 1));
      index[i] = id;
    }
    return [words, index];
  }
  const data = column.data[0];
  const words = data.dictionary!.toArray() as string[];
  // Arrow pads its buffers: only the first `length` indexes are rows.
  return [Array.from(words), Uint32Array.from((data.values as Int32Array).subarray(0, data.length))];
}

/** Checks a batch's shape and splits it into one run per series (arrival order kept within a run). */
export function splitBySeries(batch: ReadingColumns): SeriesRuns {
  // Columns in locals: a batch that came through postMessage is an object of its own shape, and its
  // properties are not reloaded per reading.
  const { device, channel, timestamps: ts, values: vs, devices, channels } = batch;
  const n = ts.length;
  if (vs.length !== n || device.length !== n || channel.length !== n) {
    throw new ArchiveError("BAD_BATCH", `columns differ in length: ts ${n}, value ${vs.length}, device ${device.length}, channel ${channel.length}`);
  }
  const width = channels.length;
  const deviceCount = devices.length;
  const ids = deviceCount * width;
  // Dense counters when the dictionaries are small (the usual case), a map otherwise.
  const dense = ids <= 1 << 20 ? new Uint32Array(ids) : undefined;
  const sparse = dense ? undefined : new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const d = device[i];
    const c = channel[i];
    const t = ts[i];
    if (d >= deviceCount || c >= width) {
      throw new ArchiveError("BAD_BATCH", `reading ${i} refers to device ${d} / channel ${c} outside the dictionaries`);
    }
    if (!(Math.floor(t) === t && Math.abs(t) <= Number.MAX_SAFE_INTEGER)) {
      throw new ArchiveError("BAD_BATCH", `reading ${i} has timestamp ${t}: not an integral number of µs`);
    }
    const id = d * width + c;
    if (dense) dense[id]++;
    else sparse!.set(id, (sparse!.get(id) ?? 0) + 1);
  }
  // Runs lie one after another in two shared columns, in run order; the WAL encodes them as they are.
  const runIds = dense ? denseIds(dense) : [...sparse!.keys()];
  const series: SeriesName[] = new Array(runIds.length);
  const table = seriesTable(devices, channels);
  for (let r = 0; r < runIds.length; r++) {
    const id = runIds[r];
    const c = id % width;
    series[r] = nameIn(table.rows[(id - c) / width], table.channels[c], channels[c]);
  }
  const starts = new Uint32Array(series.length + 1);
  // One series: its columns are the batch's own (the archive copies what it keeps).
  if (series.length === 1) {
    starts[1] = n;
    return { series, starts, timestamps: ts, values: vs };
  }
  const next = dense ? new Uint32Array(ids) : undefined;
  const sparseNext = dense ? undefined : new Map<number, number>();
  let at = 0;
  for (let r = 0; r < runIds.length; r++) {
    const id = runIds[r];
    starts[r] = at;
    if (next) next[id] = at;
    else sparseNext!.set(id, at);
    at += dense ? dense[id] : sparse!.get(id)!;
  }
  starts[series.length] = n;
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = device[i] * width + channel[i];
    let j: number;
    if (next) j = next[id]++;
    else {
      j = sparseNext!.get(id)!;
      sparseNext!.set(id, j + 1);
    }
    timestamps[j] = ts[i];
    values[j] = vs[i];
  }
  return { series, starts, timestamps, values };
}

/** The ids whose count is not zero, in order. */
function denseIds(counts: Uint32Array): number[] {
  const out: number[] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id] > 0) out.push(id);
  return out;
}

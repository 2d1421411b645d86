// Edge-compressed blocks handed to append() with the rows they carry (ReadingColumns.blocks): checked
// for shape, decoded and checked by the codec (Codec.decodeChecked), and taken out of the rows, so the
// archive can keep a block's own bytes instead of re-encoding its readings.
import { CodecError, type Codec } from "../codec/index.js";
import type { ReadingColumns } from "./batch.js";
import { ArchiveError } from "./errors.js";
import { seriesName, type SeriesName } from "./series-key.js";

/** @internal One edge block of an append, decoded. */
export interface ArrivedBlock {
  series: SeriesName;
  bytes: Uint8Array;
  timestamps: Float64Array;
  values: Float64Array;
  /** Strictly increasing timestamps and a header that states its points exactly. */
  trusted: boolean;
}

/** @internal Decodes and checks one block's bytes; `what` names it in errors. */
export function arrivedBlock(codec: Codec, series: SeriesName, bytes: Uint8Array, what: string): ArrivedBlock {
  try {
    const { timestamps, values, trusted } = codec.decodeChecked(bytes);
    return { series, bytes, timestamps, values, trusted };
  } catch (err) {
    if (err instanceof CodecError) throw new ArchiveError("BAD_BATCH", `${what}: ${err.message} (${err.code})`, undefined, { cause: err });
    throw err;
  }
}

/** @internal Splits a batch into its edge blocks and the rows no block carries. */
export function separateEdgeBlocks(codec: Codec, batch: ReadingColumns): { blocks: ArrivedBlock[]; loose: ReadingColumns } {
  const edge = batch.blocks;
  if (!edge || edge.counts.length === 0) return { blocks: [], loose: batch };
  const bad = (why: string) => new ArchiveError("BAD_BATCH", `edge blocks: ${why}`);
  const n = batch.timestamps.length;
  const k = edge.counts.length;
  if (edge.rows.length !== k || edge.offsets.length !== k + 1 || edge.offsets[k] > edge.bytes.length) {
    throw bad(`${edge.rows.length} rows, ${k} counts and ${edge.offsets.length} offsets over ${edge.bytes.length} bytes do not fit together`);
  }
  const carried = new Uint8Array(n);
  let carriedRows = 0;
  const blocks: ArrivedBlock[] = [];
  for (let j = 0; j < k; j++) {
    const row = edge.rows[j];
    const count = edge.counts[j];
    if (count === 0 || row + count > n) throw bad(`block ${j} claims rows ${row} … ${row + count - 1} of ${n}`);
    if (edge.offsets[j + 1] < edge.offsets[j]) throw bad(`block ${j} ends before it starts`);
    const d = batch.device[row];
    const c = batch.channel[row];
    for (let r = row; r < row + count; r++) {
      if (carried[r]) throw bad(`row ${r} is in two blocks`);
      if (batch.device[r] !== d || batch.channel[r] !== c) throw bad(`block ${j} carries rows of more than one series`);
      carried[r] = 1;
    }
    carriedRows += count;
    const device = batch.devices[d];
    const channel = batch.channels[c];
    if (device === undefined || channel === undefined) throw bad(`block ${j} refers to device ${d} / channel ${c} outside the dictionaries`);
    const block = arrivedBlock(codec, seriesName(device, channel), edge.bytes.slice(edge.offsets[j], edge.offsets[j + 1]), `edge block ${j}`);
    if (block.values.length !== count) throw bad(`block ${j} holds ${block.values.length} points, not the ${count} its rows say`);
    blocks.push(block);
  }
  const m = n - carriedRows;
  const loose: ReadingColumns = {
    devices: batch.devices,
    channels: batch.channels,
    device: new Uint32Array(m),
    channel: new Uint32Array(m),
    timestamps: new Float64Array(m),
    values: new Float64Array(m),
  };
  for (let i = 0, j = 0; i < n; i++) {
    if (carried[i]) continue;
    loose.device[j] = batch.device[i];
    loose.channel[j] = batch.channel[i];
    loose.timestamps[j] = batch.timestamps[i];
    loose.values[j++] = batch.values[i];
  }
  return { blocks, loose };
}

// Edge-compressed codec blocks riding along with the rows they carry, through validation, routing and
// merging: a block stays attached only while all its rows stay together in one batch, consecutive;
// otherwise its rows travel on alone and the archive encodes them like any others.
import type { EdgeBlocks } from "../archive/batch.js";
import type { FrameBlock } from "../ingest/frames/binary-decode.js";

interface Block {
  row: number;
  count: number;
  bytes: Uint8Array;
}

function pack(blocks: readonly Block[]): EdgeBlocks | undefined {
  if (blocks.length === 0) return undefined;
  const offsets = new Uint32Array(blocks.length + 1);
  blocks.forEach((b, k) => (offsets[k + 1] = offsets[k] + b.bytes.length));
  const bytes = new Uint8Array(offsets[blocks.length]);
  blocks.forEach((b, k) => bytes.set(b.bytes, offsets[k]));
  return { rows: Uint32Array.from(blocks, (b) => b.row), counts: Uint32Array.from(blocks, (b) => b.count), offsets, bytes };
}

function unpack(blocks: EdgeBlocks): Block[] {
  return Array.from(blocks.rows, (row, k) => ({ row, count: blocks.counts[k], bytes: blocks.bytes.subarray(blocks.offsets[k], blocks.offsets[k + 1]) }));
}

/** A frame's blocks that can be stored as they are, with their bytes copied out of the frame. */
export function storableBlocks(blocks: readonly FrameBlock[]): EdgeBlocks | undefined {
  return pack(blocks.filter((b) => b.storable).map((b) => ({ row: b.first, count: b.count, bytes: b.block })));
}

/**
 * The blocks whose rows all survive a step that keeps rows in order, renumbered: `to[row]` is a row's
 * index afterwards, or −1 when it was dropped. With `part` and `partOf`, only blocks whose rows all
 * went to that part (e.g. one stream of a routed frame).
 */
export function keptBlocks(blocks: EdgeBlocks | undefined, to: Int32Array, partOf?: Uint32Array, part?: number): EdgeBlocks | undefined {
  if (!blocks) return undefined;
  const kept: Block[] = [];
  for (const b of unpack(blocks)) {
    const first = to[b.row];
    let whole = first >= 0;
    for (let i = 0; whole && i < b.count; i++) {
      const r = b.row + i;
      whole = to[r] === first + i && (partOf === undefined || partOf[r] === part);
    }
    if (whole) kept.push({ ...b, row: first });
  }
  return pack(kept);
}

/** The blocks of batches laid end to end, `rowOffsets[i]` being where batch i's rows start. */
export function concatBlocks(parts: readonly (EdgeBlocks | undefined)[], rowOffsets: readonly number[]): EdgeBlocks | undefined {
  return pack(parts.flatMap((b, i) => (b ? unpack(b).map((x) => ({ ...x, row: x.row + rowOffsets[i] })) : [])));
}

/**
 * The blocks as bytes, for a bus that carries them beside the batch's Arrow IPC (Redis Streams):
 * u32 k · k × (u32 row · u32 count · u32 length) · the blocks' bytes, little-endian.
 */
export function blocksToBytes(blocks: EdgeBlocks): Uint8Array {
  const k = blocks.counts.length;
  const out = new Uint8Array(4 + 12 * k + blocks.offsets[k]);
  const view = new DataView(out.buffer);
  view.setUint32(0, k, true);
  for (let j = 0; j < k; j++) {
    view.setUint32(4 + 12 * j, blocks.rows[j], true);
    view.setUint32(8 + 12 * j, blocks.counts[j], true);
    view.setUint32(12 + 12 * j, blocks.offsets[j + 1] - blocks.offsets[j], true);
  }
  out.set(blocks.bytes.subarray(0, blocks.offsets[k]), 4 + 12 * k);
  return out;
}

/** The blocks in bytes from blocksToBytes; undefined when they do not add up (the rows travel on alone). */
export function blocksFromBytes(bytes: Uint8Array): EdgeBlocks | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const k = view.getUint32(0, true);
  if (k === 0 || 4 + 12 * k > bytes.length) return undefined;
  const rows = new Uint32Array(k);
  const counts = new Uint32Array(k);
  const offsets = new Uint32Array(k + 1);
  for (let j = 0; j < k; j++) {
    rows[j] = view.getUint32(4 + 12 * j, true);
    counts[j] = view.getUint32(8 + 12 * j, true);
    offsets[j + 1] = offsets[j] + view.getUint32(12 + 12 * j, true);
  }
  if (4 + 12 * k + offsets[k] !== bytes.length) return undefined;
  // A copy, as a plain Uint8Array (a Buffer's slice() would be a view of the whole reply).
  return { rows, counts, offsets, bytes: new Uint8Array(bytes.subarray(4 + 12 * k)) };
}

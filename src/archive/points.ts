// Growable columns of one series' points, and the pure steps that turn them into block-sized runs:
// split at block windows and sizes (sorting with last write wins is shared with queries).
import type { Points } from "../query/merge.js";
import { pointArena } from "./point-arena.js";

/** What an empty buffer's last chunk is (never written: room is made first). */
const EMPTY: Float64Array = new Float64Array(0);

/** Most points per chunk (1 KiB): past it a buffer grows a chunk of this size at a time. */
const MAX_CHUNK_POINTS = 64;
/** Points in a buffer's first chunk; the next ones double the buffer until MAX_CHUNK_POINTS. */
const MIN_CHUNK_POINTS = 8;
/** The first chunk of MAX_CHUNK_POINTS (8, 8, 16, 32, then 64). */
const FIRST_FULL_CHUNK = Math.log2(MAX_CHUNK_POINTS / MIN_CHUNK_POINTS) + 1;

/** Points the i-th chunk of a buffer can take (its phase may let it hold fewer). */
function chunkPoints(i: number): number {
  return i === 0 ? MIN_CHUNK_POINTS : MIN_CHUNK_POINTS << Math.min(i - 1, FIRST_FULL_CHUNK - 1);
}

/** Phases handed to new buffers in turn: 23 and MAX_CHUNK_POINTS are coprime, so all occur evenly. */
let nextPhase = 0;

/**
 * Append-only timestamp/value columns in chunks of the thread's point arena. Growing adds a chunk and
 * never copies. A fleet's series grow at one pace: had they all needed a chunk (and with it fresh
 * pages, ~10 µs each to fault in) at the same reading, tens of thousands would at once, a stall of up
 * to a second. So each buffer has a phase p: its i-th chunk fills p mod (the chunk's size) points
 * earlier than it would without, which spreads the buffers' takes of each chunk size over half as
 * many readings as the chunk holds, and of full-size chunks over all of them (the column memory a
 * fleet takes per reading stays within twice what its readings fill). An empty buffer holds no chunk,
 * so a series costs no column memory while its points are sealed, and its late buffer none until a
 * point is late. Chunks are kept as arena positions, plain numbers: objects per chunk made work for
 * the collector at a million chunks.
 */
export class PointBuffer {
  /** Arena positions of the chunks, in order; all but the last are full. */
  #chunks: number[] = [];
  readonly #phase = (nextPhase = (nextPhase + 23) % MAX_CHUNK_POINTS);
  /** The last chunk: its slab, where it starts there, its size, the points it holds and may hold. */
  #data: Float64Array = EMPTY;
  #offset = 0;
  #size = 0;
  #count = 0;
  #room = 0;
  length = 0;

  /** Points the i-th chunk holds when full: it ends #shift(i) points early and starts #shift(i − 1) early. */
  #roomOf(i: number): number {
    return chunkPoints(i) - this.#shift(i) + (i > 0 ? this.#shift(i - 1) : 0);
  }

  /** How many points earlier the i-th chunk fills than in a buffer without a phase (never less than the chunk before's). */
  #shift(i: number): number {
    return this.#phase % chunkPoints(i);
  }

  /** Adds a chunk when the last one is full. */
  #makeRoom(): void {
    if (this.#count < this.#room) return;
    const i = this.#chunks.length;
    const size = chunkPoints(i);
    const at = pointArena.take(size);
    // A literal holds one element; the first push would make room for seventeen. Most series of an
    // idle fleet never need a second chunk before their points are sealed.
    if (i === 0) this.#chunks = [at];
    else this.#chunks.push(at);
    this.#data = pointArena.slabOf(at);
    this.#offset = pointArena.offset(at);
    this.#size = size;
    this.#count = 0;
    this.#room = this.#roomOf(i);
  }

  push(t: number, v: number): void {
    this.#makeRoom();
    this.#data[this.#offset + this.#count] = t;
    this.#data[this.#offset + this.#size + this.#count++] = v;
    this.length++;
  }

  /** Appends points from … to − 1 of the columns. */
  pushRange(timestamps: Float64Array, values: Float64Array, from: number, to: number): void {
    while (from < to) {
      this.#makeRoom();
      const count = Math.min(this.#room - this.#count, to - from);
      const data = this.#data;
      const at = this.#offset + this.#count;
      const vat = at + this.#size;
      if (count <= 16) {
        // A few points (the usual run of a gateway batch): a loop beats creating views to copy.
        for (let i = 0; i < count; i++) {
          data[at + i] = timestamps[from + i];
          data[vat + i] = values[from + i];
        }
      } else {
        data.set(timestamps.subarray(from, from + count), at);
        data.set(values.subarray(from, from + count), vat);
      }
      this.#count += count;
      this.length += count;
      from += count;
    }
  }

  /** A copy of every point, in arrival order. */
  copy(): Points {
    const timestamps = new Float64Array(this.length);
    const values = new Float64Array(this.length);
    let into = 0;
    const last = this.#chunks.length - 1;
    this.#chunks.forEach((at, i) => {
      const data = pointArena.slabOf(at);
      const offset = pointArena.offset(at);
      const n = i === last ? this.#count : this.#roomOf(i);
      const valuesAt = offset + chunkPoints(i);
      timestamps.set(data.subarray(offset, offset + n), into);
      values.set(data.subarray(valuesAt, valuesAt + n), into);
      into += n;
    });
    return { timestamps, values };
  }

  /** Removes every point and returns a copy of them (the chunks go back to the arena). */
  takeAll(): Points {
    const out = this.copy();
    this.clear();
    return out;
  }

  /** Removes every point. */
  clear(): void {
    this.#chunks.forEach((at, i) => pointArena.give(at, chunkPoints(i)));
    this.#chunks = [];
    this.#data = EMPTY;
    this.#count = 0;
    this.#room = 0;
    this.length = 0;
  }

  /** Keeps only the given sorted points. */
  replace(points: Points): void {
    this.clear();
    if (points.timestamps.length > 0) this.pushRange(points.timestamps, points.values, 0, points.timestamps.length);
  }
}

/** Splits sorted points into runs that stay inside one block window and hold at most `maxPoints`. */
export function cutBlocks(points: Points, window: number, maxPoints: number): Points[] {
  const { timestamps: ts, values: vs } = points;
  const out: Points[] = [];
  let start = 0;
  while (start < ts.length) {
    const windowEnd = (Math.floor(ts[start] / window) + 1) * window;
    let end = start + 1;
    const limit = Math.min(ts.length, start + maxPoints);
    while (end < limit && ts[end] < windowEnd) end++;
    out.push({ timestamps: ts.subarray(start, end), values: vs.subarray(start, end) });
    start = end;
  }
  return out;
}

/** Splits sorted points at `line`: those before it, and the rest. */
export function splitAt(points: Points, line: number): [Points, Points] {
  const { timestamps: ts, values: vs } = points;
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < line) lo = mid + 1;
    else hi = mid;
  }
  return [
    { timestamps: ts.subarray(0, lo), values: vs.subarray(0, lo) },
    { timestamps: ts.subarray(lo), values: vs.subarray(lo) },
  ];
}

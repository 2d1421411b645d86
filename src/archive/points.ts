// Growable columns of one series' points, and the pure steps that turn them into block-sized runs:
// split at block windows and sizes (sorting with last write wins is shared with queries).
import type { Points } from "../query/merge.js";
import { pointArena, type Chunk } from "./point-arena.js";

/** What an empty buffer holds until its first point (never written: room is made first). */
const NONE = new Float64Array(0);

/**
 * Append-only timestamp/value columns in a chunk of the thread's point arena. An empty buffer holds
 * no chunk, so a series costs no column memory while its points are sealed, and its late buffer none
 * until a point is late.
 */
export class PointBuffer implements Chunk {
  data = NONE;
  offset = 0;
  capacity = 0;
  length = 0;
  minTime = Infinity;

  #reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.capacity) return;
    const { data, offset, capacity } = this;
    pointArena.take(Math.max(need, capacity * 2), this);
    if (this.length > 0) {
      this.data.set(data.subarray(offset, offset + this.length), this.offset);
      this.data.set(data.subarray(offset + capacity, offset + capacity + this.length), this.offset + this.capacity);
    }
    pointArena.give({ data, offset, capacity });
  }

  push(t: number, v: number): void {
    this.#reserve(1);
    this.data[this.offset + this.length] = t;
    this.data[this.offset + this.capacity + this.length++] = v;
    if (t < this.minTime) this.minTime = t;
  }

  /** Appends points from … to − 1 of the columns, whose smallest timestamp is `minTime`. */
  pushRange(timestamps: Float64Array, values: Float64Array, from: number, to: number, minTime: number): void {
    const count = to - from;
    this.#reserve(count);
    const at = this.offset + this.length;
    const vat = at + this.capacity;
    if (count <= 16) {
      // A few points (the usual run of a gateway batch): a loop beats creating views to copy.
      for (let i = 0; i < count; i++) {
        this.data[at + i] = timestamps[from + i];
        this.data[vat + i] = values[from + i];
      }
    } else {
      this.data.set(timestamps.subarray(from, to), at);
      this.data.set(values.subarray(from, to), vat);
    }
    this.length += count;
    if (minTime < this.minTime) this.minTime = minTime;
  }

  timeAt(i: number): number {
    return this.data[this.offset + i];
  }

  valueAt(i: number): number {
    return this.data[this.offset + this.capacity + i];
  }

  /** Removes every point and returns a copy of them (the chunk goes back to the arena). */
  takeAll(): Points {
    const out = {
      timestamps: this.data.slice(this.offset, this.offset + this.length),
      values: this.data.slice(this.offset + this.capacity, this.offset + this.capacity + this.length),
    };
    this.clear();
    return out;
  }

  /** Removes every point. */
  clear(): void {
    pointArena.give(this);
    this.data = NONE;
    this.offset = 0;
    this.capacity = 0;
    this.length = 0;
    this.minTime = Infinity;
  }

  /** Keeps only the given sorted points. */
  replace(points: Points): void {
    this.length = 0;
    this.minTime = Infinity;
    if (points.timestamps.length > 0) this.pushRange(points.timestamps, points.values, 0, points.timestamps.length, points.timestamps[0]);
  }

  /** Bytes held, for memory accounting. */
  get bytes(): number {
    return this.capacity * 16;
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

// Growable columns of one series' points, and the pure steps that turn them into block-sized runs:
// split at block windows and sizes (sorting with last write wins is shared with queries).
import type { Points } from "../query/merge.js";

/**
 * Points a buffer makes room for at its first point: small, because a gateway's fleet is tens of
 * thousands of series that each get a reading at a time; buffers double as a series needs.
 */
const INITIAL_POINTS = 8;
/** What an empty buffer holds until its first point (never written: room is made first). */
const NONE = new Float64Array(0);

/**
 * Append-only timestamp/value columns. An empty buffer allocates nothing, so a series costs no
 * column memory while its points are sealed, and its late buffer none until a point is late.
 */
export class PointBuffer {
  timestamps = NONE;
  values = NONE;
  length = 0;
  minTime = Infinity;

  #reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.timestamps.length) return;
    const size = Math.max(need, this.timestamps.length * 2, INITIAL_POINTS);
    const ts = new Float64Array(size);
    const vs = new Float64Array(size);
    ts.set(this.timestamps.subarray(0, this.length));
    vs.set(this.values.subarray(0, this.length));
    this.timestamps = ts;
    this.values = vs;
  }

  push(t: number, v: number): void {
    this.#reserve(1);
    this.timestamps[this.length] = t;
    this.values[this.length++] = v;
    if (t < this.minTime) this.minTime = t;
  }

  /** Appends points from … to − 1 of the columns, whose smallest timestamp is `minTime`. */
  pushRange(timestamps: Float64Array, values: Float64Array, from: number, to: number, minTime: number): void {
    const count = to - from;
    this.#reserve(count);
    if (count <= 16) {
      // A few points (the usual run of a gateway batch): a loop beats creating views to copy.
      for (let i = 0; i < count; i++) {
        this.timestamps[this.length + i] = timestamps[from + i];
        this.values[this.length + i] = values[from + i];
      }
    } else {
      this.timestamps.set(timestamps.subarray(from, to), this.length);
      this.values.set(values.subarray(from, to), this.length);
    }
    this.length += count;
    if (minTime < this.minTime) this.minTime = minTime;
  }

  /** Removes every point and returns them (the buffer starts afresh, so no copy is made). */
  takeAll(): Points {
    const out = { timestamps: this.timestamps.subarray(0, this.length), values: this.values.subarray(0, this.length) };
    this.timestamps = NONE;
    this.values = NONE;
    this.length = 0;
    this.minTime = Infinity;
    return out;
  }

  /** Keeps only the given sorted points. */
  replace(points: Points): void {
    this.length = 0;
    this.minTime = Infinity;
    if (points.timestamps.length > 0) this.pushRange(points.timestamps, points.values, 0, points.timestamps.length, points.timestamps[0]);
  }

  /** Bytes held, for memory accounting. */
  get bytes(): number {
    return this.timestamps.byteLength + this.values.byteLength;
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

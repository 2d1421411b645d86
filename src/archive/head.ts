// A series' unsealed points. Points within the allowed lateness of the newest one wait in the open
// buffer and are sealed into blocks (sorted, last write wins) once the watermark passes their block
// window; later ones go to the late buffer, sealed into blocks flagged late that compaction merges.
import { PointBuffer, cutBlocks, splitAt } from "./points.js";
import { withRoom } from "./numbered-column.js";
import { sortLastWriteWins, type Points } from "../query/merge.js";

/** How heads cut blocks. */
export interface HeadPolicy {
  /** Blocks never span a multiple of this (µs). */
  blockWindow: number;
  /** Blocks hold at most this many points. */
  blockPoints: number;
  /** Points older than the newest minus this (µs) are late. */
  lateness: number;
}

/** Points ready to become one block. */
export interface BlockPoints extends Points {
  late: boolean;
}

/** The late buffer of every head that has no late point: most never get one, and a buffer is 72 bytes. */
const NO_LATE = new PointBuffer();

/**
 * The heads' clocks of one archive, by head number: each series' newest timestamp and the oldest one
 * in its open buffer. In columns, not fields: a double field of an object is a number box of its own
 * (two more objects per series for the collector, two more cache lines for every run appended).
 */
export class HeadClocks {
  newest = new Float64Array(0);
  openMin = new Float64Array(0);
  #size = 0;

  /** A new head's number, its newest −∞ and its open buffer empty (oldest +∞). */
  add(): number {
    this.newest = withRoom(this.newest, this.#size + 1, -Infinity);
    this.openMin = withRoom(this.openMin, this.#size + 1, Infinity);
    return this.#size++;
  }
}

/** A head's unsealed points, taken from it whole (SeriesHead.detach). */
export interface DetachedPoints {
  readonly open: PointBuffer;
  readonly late: PointBuffer;
}

/**
 * Cuts detached points into blocks, emptying their buffers: the open points first, then the late ones,
 * which are newer writes at equal timestamps and so must get the higher sequences.
 */
export function sealDetached({ open, late }: DetachedPoints, policy: HeadPolicy): BlockPoints[] {
  const out: BlockPoints[] = [];
  for (const [buffer, isLate] of [[open, false], [late, true]] as const) {
    if (buffer.length === 0) continue;
    for (const b of cutBlocks(sortLastWriteWins(buffer.takeAll()), policy.blockWindow, policy.blockPoints)) out.push({ ...b, late: isLate });
  }
  return out;
}

export class SeriesHead {
  readonly key: string;
  /** Points within the lateness of the newest, until sealed (replaced whole by detach()). */
  open = new PointBuffer();
  late = NO_LATE;
  readonly #clocks: HeadClocks;
  readonly #at: number;

  constructor(key: string, clocks: HeadClocks) {
    this.key = key;
    this.#clocks = clocks;
    this.#at = clocks.add();
  }

  /** Newest timestamp seen (the series' event-time clock). */
  get newest(): number {
    return this.#clocks.newest[this.#at];
  }

  set newest(t: number) {
    this.#clocks.newest[this.#at] = t;
  }

  /** Oldest timestamp in the open buffer (+∞ when it is empty). */
  get #openMin(): number {
    return this.#clocks.openMin[this.#at];
  }

  set #openMin(t: number) {
    this.#clocks.openMin[this.#at] = t;
  }

  /** Adds points from … to − 1 of the columns, in arrival order; returns how many were late. */
  add(timestamps: Float64Array, values: Float64Array, from: number, to: number, lateness: number): number {
    const clocks = this.#clocks;
    const at = this.#at;
    let lo = Infinity;
    let hi = clocks.newest[at];
    let anyLate = false;
    for (let i = from; i < to; i++) {
      const t = timestamps[i];
      if (t < hi - lateness) anyLate = true;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    if (!anyLate) {
      // The common case: nothing late (the run may still be out of order within the lateness).
      this.open.pushRange(timestamps, values, from, to);
      clocks.newest[at] = hi;
      if (lo < clocks.openMin[at]) clocks.openMin[at] = lo;
      return 0;
    }
    let late = 0;
    for (let i = from; i < to; i++) {
      const t = timestamps[i];
      if (t < this.newest - lateness) {
        if (this.late === NO_LATE) this.late = new PointBuffer();
        this.late.push(t, values[i]);
        late++;
      } else {
        this.open.push(t, values[i]);
        if (t < this.#openMin) this.#openMin = t;
        if (t > this.newest) this.newest = t;
      }
    }
    return late;
  }

  /** Points before this are final: their block window is past the watermark. */
  sealLine(policy: HeadPolicy): number {
    return Math.floor((this.newest - policy.lateness) / policy.blockWindow) * policy.blockWindow;
  }

  /** True when some open points can be sealed, or the late buffer holds a full block. */
  canSeal(policy: HeadPolicy): boolean {
    return this.#openMin < this.sealLine(policy) || this.late.length >= policy.blockPoints;
  }

  /** Takes the sealable points (those the watermark has passed, and a full late buffer), cut into block-sized runs. */
  seal(policy: HeadPolicy): BlockPoints[] {
    const out: BlockPoints[] = [];
    const sealLate = this.late.length >= policy.blockPoints;
    let line = this.sealLine(policy);
    // Late points are newer writes than open points at the same timestamp: seal those open points
    // first, so the late block gets the higher sequence and wins.
    const late = sealLate ? sortLastWriteWins(this.late.takeAll()) : undefined;
    if (late) line = Math.max(line, late.timestamps[late.timestamps.length - 1] + 1);
    if (this.#openMin < line) {
      const sorted = sortLastWriteWins(this.open.takeAll());
      const [ready, rest] = splitAt(sorted, line);
      this.#openMin = rest.timestamps.length > 0 ? rest.timestamps[0] : Infinity;
      if (rest.timestamps.length > 0) this.open.replace(rest);
      for (const b of cutBlocks(ready, policy.blockWindow, policy.blockPoints)) out.push({ ...b, late: false });
    }
    if (late) {
      this.late = NO_LATE;
      for (const b of cutBlocks(late, policy.blockWindow, policy.blockPoints)) out.push({ ...b, late: true });
    }
    return out;
  }

  /**
   * Takes every unsealed point as it is, neither sorted nor encoded (a few object swaps, whatever the
   * head holds), and leaves the head empty with its clock kept: a checkpoint's synchronous step takes
   * every head's points this way and seals them afterwards (sealDetached), a few at a time.
   */
  detach(): DetachedPoints {
    const detached = { open: this.open, late: this.late };
    this.open = new PointBuffer();
    this.late = NO_LATE;
    this.#openMin = Infinity;
    return detached;
  }

  /**
   * Unsealed points in [from, to), open then late, for queries. A late point is always a newer write
   * than an open point with the same timestamp (the clock only moves forward), so this order is
   * arrival order wherever it matters. Points `detached` from this head before (and not sealed yet)
   * come first: every point the head holds now arrived after them.
   */
  pointsIn(from: number, to: number, detached?: DetachedPoints): Points {
    const ts: number[] = [];
    const vs: number[] = [];
    const buffers = detached ? [detached.open, detached.late, this.open, this.late] : [this.open, this.late];
    for (const buf of buffers) {
      const { timestamps, values } = buf.copy();
      for (let i = 0; i < timestamps.length; i++) {
        if (timestamps[i] >= from && timestamps[i] < to) {
          ts.push(timestamps[i]);
          vs.push(values[i]);
        }
      }
    }
    return { timestamps: Float64Array.from(ts), values: Float64Array.from(vs) };
  }

  get isEmpty(): boolean {
    return this.open.length === 0 && this.late.length === 0;
  }
}

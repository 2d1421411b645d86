// Memory for the series heads' point buffers: a buddy allocator over large slabs. A gateway fleet is
// tens of thousands of series that each gain a point at a time; allocating a Float64Array per growth
// step (about a microsecond, plus the collector's work later) was most of what storing a reading in
// its head cost. Chunks freed by growing buffers merge with their free buddies, so memory already
// touched is what the next, larger chunks are made of (fresh pages cost ~10 µs each to fault in).

/** Doubles per slab (8 MiB), a power of two: chunks are aligned to their size inside it. */
const SLAB_DOUBLES = 1 << 20;
/** Doubles in the smallest chunk (8 points: 8 timestamps, then 8 values). */
const MIN_DOUBLES = 16;
/** Size classes: MIN_DOUBLES × 2^k doubles, up to a whole slab; larger buffers get a Float64Array of their own. */
const CLASSES = Math.log2(SLAB_DOUBLES / MIN_DOUBLES) + 1;

/** Where a chunk lives: `data[offset …)`, capacity points of timestamps, then capacity of values. */
export interface Chunk {
  data: Float64Array;
  offset: number;
  capacity: number;
}

export class PointArena {
  readonly #slabs: Float64Array[] = [];
  readonly #slabIndex = new Map<Float64Array, number>();
  /** Free chunks per size class, as slab × SLAB_DOUBLES + offset. */
  readonly #free: Set<number>[] = Array.from({ length: CLASSES }, () => new Set());
  /** The same chunks as stacks to take from (entries merged away since are skipped when popped). */
  readonly #stacks: number[][] = Array.from({ length: CLASSES }, () => []);

  /** Bytes of slabs allocated, free chunks included. */
  get slabBytes(): number {
    return this.#slabs.length * SLAB_DOUBLES * 8;
  }

  /** Points `into` at a chunk of at least `points` points; its contents are whatever was there before. */
  take(points: number, into: Chunk): void {
    if (2 * points > SLAB_DOUBLES) {
      into.data = new Float64Array(2 * points);
      into.offset = 0;
      into.capacity = points;
      return;
    }
    let k = 0;
    while (MIN_DOUBLES << k < 2 * points) k++;
    const at = this.#alloc(k);
    const slab = Math.floor(at / SLAB_DOUBLES);
    into.data = this.#slabs[slab];
    into.offset = at - slab * SLAB_DOUBLES;
    into.capacity = (MIN_DOUBLES << k) / 2;
  }

  /** Returns a chunk for reuse (one with a Float64Array of its own is left to the collector). */
  give(chunk: Chunk): void {
    const slab = this.#slabIndex.get(chunk.data);
    if (slab === undefined) return;
    this.#release(slab * SLAB_DOUBLES, chunk.offset, Math.log2((2 * chunk.capacity) / MIN_DOUBLES));
  }

  #alloc(k: number): number {
    const free = this.#free[k];
    const stack = this.#stacks[k];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (free.delete(at)) return at;
    }
    if (k === CLASSES - 1) {
      const slab = new Float64Array(SLAB_DOUBLES);
      this.#slabIndex.set(slab, this.#slabs.length);
      this.#slabs.push(slab);
      return (this.#slabs.length - 1) * SLAB_DOUBLES;
    }
    // Split a chunk twice the size: take its first half, free the second.
    const at = this.#alloc(k + 1);
    this.#add(k, at + (MIN_DOUBLES << k));
    return at;
  }

  #release(base: number, offset: number, k: number): void {
    if (k < CLASSES - 1) {
      const buddy = base + (offset ^ (MIN_DOUBLES << k));
      if (this.#free[k].delete(buddy)) {
        this.#release(base, Math.min(offset, buddy - base), k + 1);
        return;
      }
    }
    this.#add(k, base + offset);
  }

  #add(k: number, at: number): void {
    this.#free[k].add(at);
    this.#stacks[k].push(at);
  }
}

/** The arena of this thread's heads (archives of one thread share it; a thread is one writer). */
export const pointArena = new PointArena();

// Memory for the series heads' point buffers: a buddy allocator over large slabs. A gateway fleet is
// tens of thousands of series that each gain a point at a time; allocating a Float64Array per growth
// step (about a microsecond, plus the collector's work later) was most of what storing a reading in
// its head cost. Chunks freed by sealed buffers merge with their free buddies, so memory already
// touched is what the next chunks are made of. Fresh pages cost ~10 µs each to fault in (16 bytes a
// reading: ~40 ns of every reading stored while the arena grows), so new slabs come from a few spares
// whose pages are faulted in beforehand, a millisecond at a time between the thread's other work.

/** Doubles per slab (8 MiB), a power of two: chunks are aligned to their size inside it. */
const SLAB_DOUBLES = 1 << 20;
/** Doubles in the smallest chunk (8 points: 8 timestamps, then 8 values). */
const MIN_DOUBLES = 16;
/** Doubles per page: one write per page faults a slab in. */
const PAGE_DOUBLES = 512;
/** Longest one pre-faulting step runs before it yields. */
const TOUCH_STEP_MS = 1;
/**
 * Spare slabs kept faulted in: an eighth of those in use (none while fewer than eight are, so a small
 * fleet's threads hold no memory ahead of need; a burst then faults its pages as it writes them).
 */
const SPARES_SHIFT = 3;

/** Size classes: MIN_DOUBLES × 2^k doubles, up to a whole slab (buffers take chunks far smaller). */
const CLASSES = Math.log2(SLAB_DOUBLES / MIN_DOUBLES) + 1;

/** The size class of chunks of `points` points. */
function classOf(points: number): number {
  return Math.log2((2 * points) / MIN_DOUBLES);
}

export class PointArena {
  readonly #slabs: Float64Array[] = [];
  /** Free chunks per size class, as slab × SLAB_DOUBLES + offset. */
  readonly #free: Set<number>[] = Array.from({ length: CLASSES }, () => new Set());
  /** The same chunks as stacks to take from (entries merged away since are skipped when popped). */
  readonly #stacks: number[][] = Array.from({ length: CLASSES }, () => []);
  /** Slabs not in use yet, whose pages are faulted in (the last one up to `#touched`). */
  readonly #spares: Float64Array[] = [];
  /** Doubles of the last spare faulted in (all of it when there is none). */
  #touched = SLAB_DOUBLES;
  #touching = false;

  /** Bytes of slabs allocated, free chunks included. */
  get slabBytes(): number {
    return this.#slabs.length * SLAB_DOUBLES * 8;
  }

  /**
   * Takes a chunk of `points` points (a power of two, from 8 to half a slab): `points` timestamps
   * from `offset(at)` in `slabOf(at)`, then `points` values. Returns its position `at`; its contents
   * are whatever was there before.
   */
  take(points: number): number {
    return this.#alloc(classOf(points));
  }

  /** Returns the chunk of `points` points at `at` for reuse. */
  give(at: number, points: number): void {
    const slab = Math.floor(at / SLAB_DOUBLES);
    this.#release(slab * SLAB_DOUBLES, at - slab * SLAB_DOUBLES, classOf(points));
  }

  /** The slab a chunk is in. */
  slabOf(at: number): Float64Array {
    return this.#slabs[Math.floor(at / SLAB_DOUBLES)];
  }

  /** Where in its slab a chunk starts. */
  offset(at: number): number {
    return at % SLAB_DOUBLES;
  }

  #alloc(k: number): number {
    const free = this.#free[k];
    const stack = this.#stacks[k];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (free.delete(at)) return at;
    }
    if (k === CLASSES - 1) {
      const slab = this.#spares.shift() ?? new Float64Array(SLAB_DOUBLES);
      if (this.#spares.length === 0) this.#touched = SLAB_DOUBLES;
      this.#prefault();
      this.#slabs.push(slab);
      return (this.#slabs.length - 1) * SLAB_DOUBLES;
    }
    // Split a chunk twice the size: take its first half, free the second.
    const at = this.#alloc(k + 1);
    this.#add(k, at + (MIN_DOUBLES << k));
    return at;
  }

  /** Keeps spare slabs faulted in ahead of need, TOUCH_STEP_MS at a time, in the background. */
  #prefault(): void {
    if (this.#touching || this.#sparesReady()) return;
    this.#touching = true;
    setTimeout(() => {
      this.#touching = false;
      this.#touchSome();
      this.#prefault();
    }, 1).unref();
  }

  #sparesReady(): boolean {
    return this.#spares.length >= this.#slabs.length >> SPARES_SHIFT && this.#touched >= SLAB_DOUBLES;
  }

  /** Faults in pages of the last spare (a new one when it is whole) for up to TOUCH_STEP_MS. */
  #touchSome(): void {
    if (this.#spares.length === 0 || this.#touched >= SLAB_DOUBLES) {
      this.#spares.push(new Float64Array(SLAB_DOUBLES));
      this.#touched = 0;
    }
    const slab = this.#spares[this.#spares.length - 1];
    const until = performance.now() + TOUCH_STEP_MS;
    while (this.#touched < SLAB_DOUBLES && performance.now() < until) {
      for (let i = 0; i < 32 && this.#touched < SLAB_DOUBLES; i++, this.#touched += PAGE_DOUBLES) slab[this.#touched] = 0;
    }
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

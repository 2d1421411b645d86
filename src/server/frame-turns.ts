// Ingest triage at the socket: a device's own small frames are taken the moment they are read, while
// large (gateway) frames wait in a queue that is worked in slices of a few milliseconds, the sockets
// read again between slices. So a critical reading never waits behind a burst of gateway frames that
// happened to be read in the same event-loop turn; the queue costs the large frames one copy, which
// they needed anyway. A connection's frames keep their order: once one waits, the next ones wait too.

/** Frames from this size on wait their turn (a device's frame is a few hundred bytes; gateways send tens of kB). */
export const QUEUED_FROM_BYTES = 16 << 10;
/** How long the queue may hold the event loop before sockets are read again (ms). */
const SLICE_MS = 1;

/** What a queued frame belongs to: the frames of its connection waiting now. */
export interface Turns {
  waiting: number;
}

export class FrameTurns {
  readonly #queue: { owner: Turns; take: () => void }[] = [];
  #head = 0;
  #scheduled = false;

  /** Runs `take` now when the frame is small and nothing of its connection waits; else in its turn. */
  offer(owner: Turns, bytes: number, take: () => void): void {
    if (bytes < QUEUED_FROM_BYTES && owner.waiting === 0) return take();
    owner.waiting++;
    this.#queue.push({ owner, take });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#slice());
    }
  }

  /** Frames waiting across all connections. */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  #slice(): void {
    this.#scheduled = false;
    const until = performance.now() + SLICE_MS;
    while (this.#head < this.#queue.length) {
      const f = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined!;
      f.owner.waiting--;
      f.take();
      if (performance.now() >= until) break;
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else {
      if (this.#head > 1024) this.#queue.splice(0, this.#head), (this.#head = 0);
      this.#scheduled = true;
      setImmediate(() => this.#slice());
    }
  }
}

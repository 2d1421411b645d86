// A growable list of doubles kept as chunks: appending never copies what is there, and merging
// another list adopts its chunks. Percentile inputs (points, sketch intervals) are kept this way.

export class Values {
  readonly chunks: Float64Array[] = [];
  #current = new Float64Array(1024);
  #n = 0;

  /** Number of values. */
  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0) + this.#n;
  }

  push(v: number): void {
    if (this.#n === this.#current.length) {
      this.chunks.push(this.#current);
      this.#current = new Float64Array(this.#current.length * 2);
      this.#n = 0;
    }
    this.#current[this.#n++] = v;
  }

  /** Every chunk, the partly filled one trimmed. */
  all(): Float64Array[] {
    return this.#n > 0 ? [...this.chunks, this.#current.subarray(0, this.#n)] : [...this.chunks];
  }

  adopt(chunks: readonly Float64Array[]): void {
    if (this.#n > 0) {
      this.chunks.push(this.#current.subarray(0, this.#n));
      this.#current = new Float64Array(1024);
      this.#n = 0;
    }
    this.chunks.push(...chunks);
  }

  /** All values in one array. */
  flat(): Float64Array {
    const parts = this.all();
    const out = new Float64Array(parts.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of parts) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// Per-device rate limits: a token bucket per device (`rate` readings a second, a burst of `rate`), as
// columns indexed by device number, so a frame's thousand devices touch two arrays, not a thousand
// objects whose non-integer fields each live in a heap box of their own.

export class DeviceBudgets {
  readonly #rate: number;
  /** Devices with a bucket: numbers below this. */
  #size = 0;
  #tokens = new Float64Array(0);
  /** When each bucket was last filled (performance.now() ms). */
  #at = new Float64Array(0);

  constructor(rate: number) {
    this.#rate = rate;
  }

  /**
   * Takes `n` readings from device `number`'s budget if it holds that many, at `now` (performance.now()).
   * A device seen for the first time starts with a full bucket.
   */
  take(number: number, n: number, now: number): boolean {
    if (number >= this.#size) this.#reserve(number + 1, now);
    const tokens = Math.min(this.#rate, this.#tokens[number] + ((now - this.#at[number]) / 1000) * this.#rate);
    this.#at[number] = now;
    if (tokens < n) {
      this.#tokens[number] = tokens;
      return false;
    }
    this.#tokens[number] = tokens - n;
    return true;
  }

  #reserve(n: number, now: number): void {
    if (n > this.#tokens.length) {
      const capacity = Math.max(n, 2 * this.#tokens.length, 1024);
      const tokens = new Float64Array(capacity);
      const at = new Float64Array(capacity);
      tokens.set(this.#tokens);
      at.set(this.#at);
      this.#tokens = tokens;
      this.#at = at;
    }
    for (let i = this.#size; i < n; i++) {
      this.#tokens[i] = this.#rate;
      this.#at[i] = now;
    }
    this.#size = n;
  }
}

// Per-device rate limits: a token bucket per device (`rate` readings a second, a burst of `rate`), as
// columns indexed by device number, so a frame's thousand devices touch two arrays, not a thousand
// objects whose non-integer fields each live in a heap box of their own.

import { withRoom } from "../archive/numbered-column.js";

export class DeviceBudgets {
  readonly #rate: number;
  /** Readings each device may still send; a device not seen yet has a full bucket. */
  #tokens = new Float64Array(0);
  /** When each bucket was last filled (performance.now() ms); a full bucket's time does not matter. */
  #at = new Float64Array(0);

  constructor(rate: number) {
    this.#rate = rate;
  }

  /**
   * Takes `n` readings from device `number`'s budget if it holds that many, at `now` (performance.now()).
   * A device seen for the first time starts with a full bucket.
   */
  take(number: number, n: number, now: number): boolean {
    if (number >= this.#tokens.length) {
      this.#tokens = withRoom(this.#tokens, number + 1, this.#rate);
      this.#at = withRoom(this.#at, number + 1, 0);
    }
    const tokens = Math.min(this.#rate, this.#tokens[number] + ((now - this.#at[number]) / 1000) * this.#rate);
    this.#at[number] = now;
    if (tokens < n) {
      this.#tokens[number] = tokens;
      return false;
    }
    this.#tokens[number] = tokens - n;
    return true;
  }
}

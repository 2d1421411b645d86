// Dense numbers for device names, handed out in order of first sight. A frame's dictionary is looked
// up once; per-device state (rate budgets, clocks) then lives in arrays indexed by number instead of
// maps keyed by name: a gateway frame names a thousand devices, and each map lookup of a fleet of tens
// of thousands was a cache miss or two, per device, per frame, per map. Clients choose the names, so
// the table is bounded: past its capacity it starts over, and so does the state kept by its numbers.

import { withRoom } from "../archive/numbered-column.js";

/** The number of a dictionary entry left out (a device the sender may not write): it has no state. */
export const UNNUMBERED = 0xffffffff;

export class DeviceNumbers {
  readonly #numbers = new Map<string, number>();
  /** By number: the device's name, and the number that followed it in the last frame that named it (−1: none yet). */
  #names: string[] = [];
  #after = new Int32Array(0);
  readonly #capacity: number;
  /** Times the table started over: state kept by number from an earlier generation is stale. */
  #generation = 0;
  /** Numbers handed out, all generations. */
  #handedOut = 0;
  /** What drops the state kept by number when the table starts over. */
  readonly #forgets: (() => void)[] = [];

  constructor(capacity = 1 << 20) {
    this.#capacity = capacity;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Devices numbered in this generation: every number handed out in it is below this. */
  get size(): number {
    return this.#numbers.size;
  }

  /** Numbers handed out so far, in all generations (a device seen again after a start-over counts again). */
  get handedOut(): number {
    return this.#handedOut;
  }

  /**
   * Each dictionary entry's device number (new names get the next ones), UNNUMBERED where `numbered` is
   * false. A frame's numbers are all of one generation: the table starts over before a frame whose
   * names might not all fit.
   */
  numbersOf(devices: readonly string[], numbered?: readonly boolean[]): Uint32Array {
    if (this.#numbers.size + devices.length > this.#capacity) {
      this.#numbers.clear();
      this.#names = [];
      this.#after = new Int32Array(0);
      this.#generation++;
      for (const forget of this.#forgets) forget();
    }
    const out = new Uint32Array(devices.length);
    let previous = -1;
    for (let i = 0; i < devices.length; i++) {
      if (numbered && !numbered[i]) {
        out[i] = UNNUMBERED;
        previous = -1;
        continue;
      }
      const name = devices[i];
      // A gateway names its devices in the same order frame after frame: the number that followed the
      // previous device last time is checked first (one comparison, of the same string object when the
      // decoder interned the name), before a lookup in the map of the fleet (a cache miss or three).
      let n = previous >= 0 ? this.#after[previous] : -1;
      if (n < 0 || this.#names[n] !== name) {
        n = this.#numbers.get(name) ?? this.#number(name);
        if (previous >= 0) this.#after[previous] = n;
      }
      out[i] = previous = n;
    }
    return out;
  }

  /** Numbers a device seen for the first time in this generation. */
  #number(name: string): number {
    const n = this.#numbers.size;
    this.#numbers.set(name, n);
    this.#names.push(name);
    this.#after = withRoom(this.#after, n + 1, -1);
    this.#handedOut++;
    return n;
  }

  /** Calls `forget` each time the table starts over, before any number of the new generation is handed out: state kept by number must go then. */
  onStartOver(forget: () => void): void {
    this.#forgets.push(forget);
  }

  /** The device's number, if it has been seen in this generation. */
  numberOf(device: string): number | undefined {
    return this.#numbers.get(device);
  }
}

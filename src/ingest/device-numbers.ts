// Dense numbers for device names, handed out in order of first sight. A frame's dictionary is looked
// up once; per-device state (rate budgets, clocks) then lives in arrays indexed by number instead of
// maps keyed by name: a gateway frame names a thousand devices, and each map lookup of a fleet of tens
// of thousands was a cache miss or two, per device, per frame, per map.

export class DeviceNumbers {
  readonly #numbers = new Map<string, number>();

  /** Each dictionary entry's device number (new names get the next ones). */
  numbersOf(devices: readonly string[]): Uint32Array {
    const out = new Uint32Array(devices.length);
    for (let i = 0; i < devices.length; i++) {
      let n = this.#numbers.get(devices[i]);
      if (n === undefined) this.#numbers.set(devices[i], (n = this.#numbers.size));
      out[i] = n;
    }
    return out;
  }

  /** Devices numbered so far. */
  get size(): number {
    return this.#numbers.size;
  }

  /** The device's number, if it has been seen. */
  numberOf(device: string): number | undefined {
    return this.#numbers.get(device);
  }
}


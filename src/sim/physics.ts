// What a simulated machine reports: its load follows its zone's shift pattern; temperature follows
// load with a thermal lag, vibration grows with load, pressure holds a setpoint, a counter counts
// parts. Values are quantised like real sensors (0.01 °C, 0.001 mm/s, 0.1 kPa).
import type { Random } from "./random.js";

export const CHANNELS = ["temperature", "vibration", "pressure", "parts"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Load (0..1) of a machine in a zone whose shifts start at `shiftOffset` hours, at time t (µs). */
export function shiftLoad(t: number, shiftOffset: number): number {
  const hour = ((t / 3.6e9 + shiftOffset) % 24 + 24) % 24;
  // Two busy shifts (06–14, 14–22) and a quiet night; a short lull at each shift change.
  const busy = hour >= 6 && hour < 22 ? 0.85 : 0.25;
  const lull = Math.abs(hour - 14) < 0.25 || Math.abs(hour - 6) < 0.25 ? 0.4 : 1;
  return busy * lull;
}

/** One machine's physical state, stepped once per reading interval. */
export class Machine {
  temperature: number;
  parts = 0;
  readonly #ambient: number;
  readonly #setpoint: number;
  readonly #shiftOffset: number;
  readonly #random: Random;

  constructor(random: Random, shiftOffset: number) {
    this.#random = random;
    this.#shiftOffset = shiftOffset;
    this.#ambient = 18 + random.next() * 6;
    this.#setpoint = 300 + random.next() * 50;
    this.temperature = this.#ambient + 20;
  }

  /** Advances by `dt` seconds to time t (µs) and returns the channel values. */
  step(t: number, dt: number): Record<Channel, number> {
    const load = shiftLoad(t, this.#shiftOffset) * (0.9 + 0.2 * this.#random.next());
    const target = this.#ambient + 45 * load;
    this.temperature += (target - this.temperature) * Math.min(1, dt / 600);
    this.parts += Math.round(load * dt * 2 * this.#random.next());
    const q = (v: number, step: number) => Math.round(v / step) * step;
    return {
      temperature: q(this.temperature + this.#random.normal() * 0.05, 0.01),
      vibration: q(0.5 + 4 * load + Math.abs(this.#random.normal()) * 0.2, 0.001),
      pressure: q(this.#setpoint + this.#random.normal() * 0.8, 0.1),
      parts: this.parts,
    };
  }
}

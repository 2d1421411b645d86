// Faults the simulator injects, each recorded as ground truth (device, channel, kind, time span) so
// detectors can be scored: spikes, drift, stuck sensors, lost and duplicated batches, out-of-order
// batches, clock skew, disconnects, corrupt frames.
import type { Random } from "./random.js";

export type FaultKind = "spike" | "drift" | "stuck" | "loss" | "duplicate" | "out_of_order" | "skew" | "disconnect" | "corrupt" | "gap" | "rate";

/** Per-interval probabilities of starting each fault (loss, duplicate, out_of_order, corrupt: per frame). */
export interface ChaosRates {
  spike: number;
  drift: number;
  stuck: number;
  loss: number;
  duplicate: number;
  out_of_order: number;
  skew: number;
  disconnect: number;
  corrupt: number;
}

/** TSBS-like defaults: 1 % of batches lost, 5 % out of order; rarer sensor faults. */
export const DEFAULT_CHAOS: ChaosRates = {
  spike: 0.0005,
  drift: 0.00005,
  stuck: 0.00005,
  loss: 0.01,
  duplicate: 0.005,
  out_of_order: 0.05,
  skew: 0.00002,
  disconnect: 0.00002,
  corrupt: 0.0005,
};

export const NO_CHAOS: ChaosRates = { spike: 0, drift: 0, stuck: 0, loss: 0, duplicate: 0, out_of_order: 0, skew: 0, disconnect: 0, corrupt: 0 };

/** A fault that happened, for scoring detectors. */
export interface GroundTruth {
  device: string;
  channel?: string;
  kind: FaultKind;
  from: number;
  to: number;
}

/** A sensor fault in progress on one channel. */
interface ChannelFault {
  kind: "drift" | "stuck";
  until: number;
  value: number;
  started: number;
}

/** Applies sensor faults to one device's channel values and records what it did. */
export class SensorChaos {
  readonly #faults = new Map<string, ChannelFault>();
  readonly #random: Random;
  readonly #rates: ChaosRates;
  readonly #truth: GroundTruth[];
  readonly #device: string;

  constructor(device: string, random: Random, rates: ChaosRates, truth: GroundTruth[]) {
    this.#device = device;
    this.#random = random;
    this.#rates = rates;
    this.#truth = truth;
  }

  /** The value the sensor reports for `value` at time t (µs). */
  apply(channel: string, t: number, value: number): number {
    const r = this.#random;
    const fault = this.#faults.get(channel);
    if (fault && t >= fault.until) this.#faults.delete(channel);
    else if (fault?.kind === "stuck") return fault.value;
    else if (fault?.kind === "drift") return value + ((t - fault.started) / 3.6e9) * fault.value;
    if (r.chance(this.#rates.spike)) {
      this.#truth.push({ device: this.#device, channel, kind: "spike", from: t, to: t });
      return value + (r.chance(0.5) ? 1 : -1) * (10 + Math.abs(value) * (0.5 + r.next()));
    }
    if (r.chance(this.#rates.stuck)) {
      const until = t + (5 + r.next() * 55) * 60e6;
      this.#faults.set(channel, { kind: "stuck", until, value, started: t });
      this.#truth.push({ device: this.#device, channel, kind: "stuck", from: t, to: until });
    } else if (r.chance(this.#rates.drift)) {
      const until = t + (1 + r.next() * 5) * 3.6e9;
      this.#faults.set(channel, { kind: "drift", until, value: (r.chance(0.5) ? 1 : -1) * (0.5 + r.next() * 2), started: t });
      this.#truth.push({ device: this.#device, channel, kind: "drift", from: t, to: until });
    }
    return value;
  }
}

/** Per-second probabilities of a device starting each connectivity or clock fault. */
export interface DeviceChaosRates {
  /** Goes silent for 30 s – 10 min (intermittent connectivity). */
  gap: number;
  /** Reports 4× slower or 4× faster for 10 – 40 min (firmware or configuration change). */
  rate: number;
  /** Its clock jumps 30 s – 10 min ahead or behind for 10 – 40 min. */
  skew: number;
}

/** What a device does at one moment: silent or not, its reporting interval factor and clock offset (µs). */
export interface DeviceCondition {
  silent: boolean;
  intervalFactor: number;
  clockOffset: number;
}

/** Applies connectivity, reporting-rate and clock faults to one device and records what it did. */
export class DeviceChaos {
  #until = 0;
  #condition: DeviceCondition = { silent: false, intervalFactor: 1, clockOffset: 0 };
  readonly #random: Random;
  readonly #rates: DeviceChaosRates;
  readonly #truth: GroundTruth[];
  readonly #device: string;

  constructor(device: string, random: Random, rates: DeviceChaosRates, truth: GroundTruth[]) {
    this.#device = device;
    this.#random = random;
    this.#rates = rates;
    this.#truth = truth;
  }

  /** The device's condition at time t (µs), drawn once per second of `dt` elapsed; one fault at a time. */
  at(t: number, dt: number): DeviceCondition {
    if (t < this.#until) return this.#condition;
    const r = this.#random;
    const minutes = (a: number, b: number) => (a + r.next() * (b - a)) * 60e6;
    let kind: "gap" | "rate" | "skew" | undefined;
    if (r.chance(this.#rates.gap * dt)) kind = "gap";
    else if (r.chance(this.#rates.rate * dt)) kind = "rate";
    else if (r.chance(this.#rates.skew * dt)) kind = "skew";
    if (kind === undefined) {
      this.#condition = { silent: false, intervalFactor: 1, clockOffset: 0 };
      return this.#condition;
    }
    this.#until = t + (kind === "gap" ? minutes(0.5, 10) : minutes(10, 40));
    this.#condition = {
      silent: kind === "gap",
      intervalFactor: kind === "rate" ? (r.chance(0.5) ? 4 : 0.25) : 1,
      clockOffset: kind === "skew" ? (r.chance(0.5) ? 1 : -1) * Math.round(minutes(0.5, 10)) : 0,
    };
    this.#truth.push({ device: this.#device, kind, from: t, to: this.#until });
    return this.#condition;
  }
}

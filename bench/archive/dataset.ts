// The archive bench's data: fleets of 1 Hz process-temperature gauges printed with 2 decimals (the
// recipe of the codec bench's gauge-2dp: setpoint, daily and shift cycles, a slow drift, sensor noise),
// from the benchmarks' fixed seed, so every run and every peer stores exactly the same readings.
// Readings are ordered by time, then device, as a fleet sends them.
import { Rng } from "../datasets/prng.js";

/** A fleet of gauges sampled on one clock. */
export interface FleetSpec {
  /** Names the data in the JSON lines and seeds its generator. */
  readonly name: string;
  readonly devices: number;
  /** First timestamp, µs since the epoch, on a whole hour. */
  readonly start: number;
  /** Samples per device. */
  readonly samples: number;
  /** Seconds between samples (1 = 1 Hz). */
  readonly intervalSeconds: number;
  /** Samples per device in one append: a chunk holds devices × this readings. */
  readonly chunkSamples: number;
}

/** One append's readings, columns as Archive.append takes them (dictionaries are the fleet's). */
export interface Chunk {
  readonly device: Uint32Array;
  readonly channel: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** The one channel every gauge reports. */
export const CHANNEL = "temp";

export function deviceNames(spec: FleetSpec): string[] {
  return Array.from({ length: spec.devices }, (_, i) => `d${i}`);
}

export function pointsOf(spec: FleetSpec): number {
  return spec.devices * spec.samples;
}

/** End of the data, exclusive (µs). */
export function endOf(spec: FleetSpec): number {
  return spec.start + spec.samples * spec.intervalSeconds * 1e6;
}

/**
 * Generates every chunk up front, so the timed loops measure the stores, not the generator.
 * The same spec always gives the same bits.
 */
export function generate(spec: FleetSpec): Chunk[] {
  const rng = Rng.for(`archive/${spec.name}`);
  const n = spec.devices;
  const setpoint = new Float64Array(n);
  const dailyAmp = new Float64Array(n);
  const dailyPhase = new Float64Array(n);
  const shiftAmp = new Float64Array(n);
  const shiftPhase = new Float64Array(n);
  const drift = new Float64Array(n);
  for (let d = 0; d < n; d++) {
    setpoint[d] = rng.uniform(30, 70);
    dailyAmp[d] = rng.uniform(2, 6);
    dailyPhase[d] = rng.uniform(0, 2 * Math.PI);
    shiftAmp[d] = rng.uniform(0.5, 2);
    shiftPhase[d] = rng.uniform(0, 2 * Math.PI);
  }
  const stepUs = spec.intervalSeconds * 1e6;
  // Ornstein–Uhlenbeck drift with τ = 1 h, whatever the sampling interval.
  const pull = Math.min(1, spec.intervalSeconds / 3600);
  const kick = 0.002 * Math.sqrt(spec.intervalSeconds);
  const chunks: Chunk[] = [];
  for (let first = 0; first < spec.samples; first += spec.chunkSamples) {
    const samples = Math.min(spec.chunkSamples, spec.samples - first);
    const size = samples * n;
    const chunk = { device: new Uint32Array(size), channel: new Uint32Array(size), timestamps: new Float64Array(size), values: new Float64Array(size) };
    let k = 0;
    for (let s = first; s < first + samples; s++) {
      const t = spec.start + s * stepUs;
      const seconds = (t - spec.start) / 1e6;
      for (let d = 0; d < n; d++) {
        drift[d] += -drift[d] * pull + kick * rng.gaussian();
        const x =
          setpoint[d] +
          dailyAmp[d] * Math.sin((2 * Math.PI * seconds) / 86_400 + dailyPhase[d]) +
          shiftAmp[d] * Math.sin((2 * Math.PI * seconds) / 28_800 + shiftPhase[d]) +
          drift[d] +
          0.05 * rng.gaussian();
        chunk.device[k] = d;
        chunk.timestamps[k] = t;
        // Dividing the integer gives the double nearest the 2-decimal number, as parsing it would.
        chunk.values[k++] = Math.round(Math.min(80, Math.max(20, x)) * 100) / 100;
      }
    }
    chunks.push(chunk);
  }
  return chunks;
}

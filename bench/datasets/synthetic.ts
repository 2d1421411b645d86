// Seeded synthetic shapes of industrial telemetry (the matrix Prometheus' chunk benchmarks use, plus
// the decimal gauges, stuck sensors and NaN gaps that plants produce): 1 Hz unless the shape is jitter.
import { Rng } from "./prng.js";
import type { DatasetSource, Series } from "./dataset.js";

/** Points per synthetic series: one default block. */
export const SYNTHETIC_POINTS = 8192;

const START_US = Date.UTC(2024, 0, 1) * 1000;
const SECOND_US = 1_000_000;

function regularTimestamps(n: number): Float64Array {
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = START_US + i * SECOND_US;
  return ts;
}

/** Rounds to `decimals` places; dividing the integer gives the double nearest the decimal, as parsing would. */
function quantize(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

/**
 * A process temperature in 20–80 °C sampled at 1 Hz (unquantized): a setpoint, a daily and a
 * shift (8 h) cycle, a slow mean-reverting drift, and sensor noise of σ = 0.05 °C.
 */
function gaugeSignal(rng: Rng, n: number): Float64Array {
  const setpoint = rng.uniform(30, 70);
  const dailyAmp = rng.uniform(2, 6);
  const dailyPhase = rng.uniform(0, 2 * Math.PI);
  const shiftAmp = rng.uniform(0.5, 2);
  const shiftPhase = rng.uniform(0, 2 * Math.PI);
  const startSecond = rng.int(0, 86_399); // series start at different times of day
  const out = new Float64Array(n);
  let drift = 0;
  for (let i = 0; i < n; i++) {
    const t = startSecond + i;
    drift += -drift / 3600 + 0.002 * rng.gaussian(); // Ornstein–Uhlenbeck, τ = 1 h
    const x =
      setpoint +
      dailyAmp * Math.sin((2 * Math.PI * t) / 86_400 + dailyPhase) +
      shiftAmp * Math.sin((2 * Math.PI * t) / 28_800 + shiftPhase) +
      drift +
      0.05 * rng.gaussian();
    out[i] = Math.min(80, Math.max(20, x));
  }
  return out;
}

function gauge(rng: Rng, n: number, decimals: number): Float64Array {
  const values = gaugeSignal(rng, n);
  for (let i = 0; i < n; i++) values[i] = quantize(values[i], decimals);
  return values;
}

type Shape = (rng: Rng, n: number) => { timestamps?: Float64Array; values: Float64Array };

const shapes: { name: string; note: string; make: Shape }[] = [
  {
    name: "constant",
    note: "a setpoint that never changes (1 decimal)",
    make: (rng, n) => ({ values: new Float64Array(n).fill(quantize(rng.uniform(0, 100), 1)) }),
  },
  {
    name: "counter",
    note: "monotonic integer counter, increments exponential with a per-series mean of 1–50",
    make: (rng, n) => {
      const values = new Float64Array(n);
      const mean = rng.uniform(1, 50);
      let c = rng.int(0, 1_000_000);
      for (let i = 0; i < n; i++) {
        c += Math.floor(rng.exponential(mean));
        values[i] = c;
      }
      return { values };
    },
  },
  { name: "gauge-1dp", note: "temperature 20–80 °C, cycles + drift + σ 0.05 noise, 1 decimal", make: (rng, n) => ({ values: gauge(rng, n, 1) }) },
  { name: "gauge-2dp", note: "the same gauge at 2 decimals", make: (rng, n) => ({ values: gauge(rng, n, 2) }) },
  { name: "gauge-3dp", note: "the same gauge at 3 decimals", make: (rng, n) => ({ values: gauge(rng, n, 3) }) },
  {
    name: "random-walk",
    note: "full-precision Gaussian random walk (true binary floats)",
    make: (rng, n) => {
      const values = new Float64Array(n);
      let x = rng.uniform(0, 100);
      for (let i = 0; i < n; i++) values[i] = x += 0.1 * rng.gaussian();
      return { values };
    },
  },
  {
    name: "stuck",
    note: "2-decimal gauge that freezes: live stretches of mean 10 min, frozen ones of mean 30 min",
    make: (rng, n) => {
      const values = gauge(rng, n, 2);
      let i = Math.floor(rng.exponential(600));
      while (i < n) {
        const end = Math.min(n, i + 1 + Math.floor(rng.exponential(1800)));
        values.fill(values[i], i, end);
        i = end + Math.floor(rng.exponential(600));
      }
      return { values };
    },
  },
  {
    name: "nan-gaps",
    note: "2-decimal gauge with ~2% NaN in bursts of 1–80 points",
    make: (rng, n) => {
      const values = gauge(rng, n, 2);
      // Bursts of mean length 40.5 starting with probability p leave a NaN share of p·40.5 / (1 + p·40.5) ≈ 2%.
      const p = 0.02 / 0.98 / 40.5;
      for (let i = 0; i < n; i++) {
        if (rng.next() < p) {
          const end = Math.min(n, i + rng.int(1, 80));
          values.fill(NaN, i, end);
          i = end;
        }
      }
      return { values };
    },
  },
  {
    name: "jittered-ts",
    note: "2-decimal gauge at 1 Hz ± up to 5 ms jitter, 0.5% of points missing",
    make: (rng, n) => {
      const timestamps = new Float64Array(n);
      for (let i = 0, slot = 0; i < n; slot++) {
        if (rng.next() < 0.005) continue;
        timestamps[i++] = START_US + slot * SECOND_US + rng.int(-5000, 5000);
      }
      return { timestamps, values: gauge(rng, n, 2) };
    },
  },
];

/** The synthetic datasets, `seriesCount` series of {@link SYNTHETIC_POINTS} points each. */
export function syntheticDatasets(seriesCount: number): DatasetSource[] {
  return shapes.map((shape) => ({
    name: shape.name,
    note: shape.note,
    load: (): Series[] => {
      const rng = Rng.for(shape.name);
      return Array.from({ length: seriesCount }, (_, k) => {
        const { timestamps, values } = shape.make(rng, SYNTHETIC_POINTS);
        return { name: `${shape.name}/${k}`, timestamps: timestamps ?? regularTimestamps(SYNTHETIC_POINTS), values };
      });
    },
  }));
}

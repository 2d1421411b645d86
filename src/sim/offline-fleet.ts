// The simulated fleet in simulated time, with no sockets: the same machines and chaos as the live fleet,
// stepped second by second as fast as the host can, so detectors can be scored against ground truth.
// Series are numbered device × 4 + channel; a reading's group is its zone × 4 + channel.
import { Machine, CHANNELS } from "./physics.js";
import { Random } from "./random.js";
import { SensorChaos, DeviceChaos, NO_CHAOS, type ChaosRates, type DeviceChaosRates, type GroundTruth } from "./chaos.js";

/** The offline fleet's shape, length and fault rates. */
export interface OfflineFleetOptions {
  devices: number;
  zones: number;
  /** Simulated hours, the first `quietHours` of them without faults. */
  hours: number;
  quietHours: number;
  seed: number;
  /** Simulated start, µs since the epoch. */
  startUs: number;
  sensorChaos: ChaosRates;
  deviceChaos: DeviceChaosRates;
}

/** One simulated second's readings, columns in arrival order. */
export interface SecondOfReadings {
  /** The second's end, µs: everything that arrived by then is in the batch. */
  now: number;
  series: Int32Array;
  group: Int32Array;
  ts: Float64Array;
  arrival: Float64Array;
  values: Float64Array;
}

/** Sensor faults only on gauges: a counter's drift or spike is a different fault, judged on its rate. */
const GAUGES = new Set(["temperature", "vibration", "pressure"]);

/** Device id of series `series`. */
export const deviceName = (device: number) => `machine-${String(device).padStart(5, "0")}`;

/** Steps the fleet through simulated time, a second per batch; faults go to `truth` as they start. */
export function* offlineFleet(options: OfflineFleetOptions, truth: GroundTruth[]): Generator<SecondOfReadings> {
  const random = new Random(options.seed);
  const sensorRates: ChaosRates = { ...NO_CHAOS };
  const deviceRates: DeviceChaosRates = { gap: 0, rate: 0, skew: 0 };
  const fleet = Array.from({ length: options.devices }, (_, d) => {
    const r = random.fork(d);
    return {
      zone: d % options.zones,
      machine: new Machine(r, d % options.zones),
      sensor: new SensorChaos(deviceName(d), r.fork(1), sensorRates, truth),
      device: new DeviceChaos(deviceName(d), r.fork(2), deviceRates, truth),
      latency: r.fork(3),
      nextDue: options.startUs,
      lastStep: options.startUs,
    };
  });
  const seconds = Math.round(options.hours * 3600);
  const cap = options.devices * CHANNELS.length * 4;
  for (let sec = 0; sec < seconds; sec++) {
    if (sec === Math.round(options.quietHours * 3600)) {
      Object.assign(sensorRates, options.sensorChaos);
      Object.assign(deviceRates, options.deviceChaos);
    }
    const t0 = options.startUs + sec * 1e6;
    const series = new Int32Array(cap);
    const group = new Int32Array(cap);
    const ts = new Float64Array(cap);
    const arrival = new Float64Array(cap);
    const values = new Float64Array(cap);
    let n = 0;
    fleet.forEach((d, di) => {
      const condition = d.device.at(t0, 1);
      while (d.nextDue < t0 + 1e6) {
        const t = d.nextDue;
        d.nextDue += 1e6 * condition.intervalFactor;
        const reading = d.machine.step(t, (t - d.lastStep) / 1e6 || 1);
        d.lastStep = t;
        if (condition.silent) continue;
        const lag = 5e3 + d.latency.next() * 45e3;
        CHANNELS.forEach((ch, ci) => {
          series[n] = di * CHANNELS.length + ci;
          group[n] = d.zone * CHANNELS.length + ci;
          ts[n] = t + condition.clockOffset;
          arrival[n] = t + lag;
          values[n] = GAUGES.has(ch) ? d.sensor.apply(ch, t, reading[ch]) : reading[ch];
          n++;
        });
      }
    });
    yield { now: t0 + 1e6, series: series.subarray(0, n), group: group.subarray(0, n), ts: ts.subarray(0, n), arrival: arrival.subarray(0, n), values: values.subarray(0, n) };
  }
}

// `iotpipe faults`: runs the offline simulated fleet with chaos through the health kernel, batch by
// batch as a worker would (peers' level from each zone's median, a silence sweep every second), turns
// findings into detections, and scores them against the chaos injector's ground truth.
import { AnalyticsKernels, HEALTH, type SeriesTraits } from "../../analytics/kernels.js";
import { PeerLevels } from "../../analytics/peer-levels.js";
import { CHANNELS } from "../../sim/physics.js";
import { offlineFleet, deviceName, type OfflineFleetOptions } from "../../sim/offline-fleet.js";
import type { GroundTruth } from "../../sim/chaos.js";
import { scoreDetections, type Detection, type KindScore, type ScoredKind } from "./score.js";

/** The evaluation fleet: 60 machines in 6 zones for 12 simulated hours, faults after the first hour. */
export const EVALUATION_FLEET: OfflineFleetOptions = {
  devices: 60,
  zones: 6,
  hours: 12,
  quietHours: 1,
  seed: 42,
  startUs: Date.UTC(2026, 0, 5) * 1000,
  sensorChaos: { spike: 2e-5, drift: 4e-6, stuck: 4e-6, loss: 0, duplicate: 0, out_of_order: 0, skew: 0, disconnect: 0, corrupt: 0 },
  deviceChaos: { gap: 2e-5, rate: 1.5e-5, skew: 1.5e-5 },
};

/** What the fleet's registry says of each channel: sensor accuracy as the drift tolerance, the counter. */
const REGISTRY: Record<(typeof CHANNELS)[number], SeriesTraits> = {
  temperature: { validRange: [-40, 150], driftTolerance: 0.25 },
  vibration: { validRange: [0, 50], driftTolerance: 0.25 },
  pressure: { validRange: [0, 1000], driftTolerance: 0.5 },
  parts: { counter: true },
};

/** What the evaluation found. */
export interface FaultReport {
  readings: number;
  series: number;
  faults: number;
  kinds: KindScore[];
  /** Everything the kernel reported and everything the chaos injector did, for a closer look. */
  detections: Detection[];
  truth: GroundTruth[];
}

/** Findings that count as a detection when they start (conditions) or happen (events), by kind. */
const DETECTED: Array<[number, ScoredKind, "event" | "onset"]> = [
  [HEALTH.SPIKE, "spike", "event"],
  [HEALTH.STUCK, "stuck", "onset"],
  [HEALTH.DRIFT, "drift", "onset"],
  [HEALTH.GAP, "gap", "event"],
  [HEALTH.SKEW, "skew", "onset"],
  [HEALTH.RATE, "rate", "onset"],
];
const DEVICE_LEVEL = new Set<ScoredKind>(["gap", "skew", "rate"]);
/** A device-level finding on several channels within this long is one detection. */
const SAME_EVENT_US = 60e6;

/** Runs the fleet through the health kernel and scores what it found. */
export async function runFaultEvaluation(options: OfflineFleetOptions = EVALUATION_FLEET, module?: WebAssembly.Module): Promise<FaultReport> {
  const truth: GroundTruth[] = [];
  const kernels = await AnalyticsKernels.create({ learnReadings: 600, suppressReadings: 40, module });
  const seriesCount = options.devices * CHANNELS.length;
  for (let s = 0; s < seriesCount; s++) kernels.describeSeries(s, REGISTRY[CHANNELS[s % CHANNELS.length]]);
  const previous = new Uint32Array(seriesCount);
  const lastDeviceDetection = new Map<string, number>();
  const detections: Detection[] = [];
  let readings = 0;
  const channels = CHANNELS.length;
  const peers = new PeerLevels();
  for (let s = 0; s < seriesCount; s++) peers.add(s, (Math.floor(s / channels) % options.zones) * channels + (s % channels));
  const detect = (kind: ScoredKind, series: number, at: number) => {
    const device = deviceName(Math.floor(series / CHANNELS.length));
    if (DEVICE_LEVEL.has(kind)) {
      const last = lastDeviceDetection.get(`${kind}:${device}`);
      lastDeviceDetection.set(`${kind}:${device}`, at);
      if (last !== undefined && at - last < SAME_EVENT_US) return;
      detections.push({ kind, device, at });
    } else {
      detections.push({ kind, device, channel: CHANNELS[series % CHANNELS.length], at });
    }
  };
  for (const second of offlineFleet(options, truth)) {
    readings += second.values.length;
    const reference = peers.levels(second.series, second.values, second.now);
    const findings = kernels.judge(second.series, second.ts, second.arrival, second.values, reference);
    for (let i = 0; i < findings.length; i++) {
      const s = second.series[i];
      const f = findings[i];
      for (const [bit, kind, how] of DETECTED) {
        if ((f & bit) !== 0 && (how === "event" || (previous[s] & bit) === 0)) detect(kind, s, second.arrival[i]);
      }
      previous[s] = f;
    }
    const silent = kernels.sweepSilence(second.now);
    for (let s = 0; s < silent.length; s++) if (silent[s] & HEALTH.GAP) detect("gap", s, second.now);
  }
  return { readings, series: seriesCount, faults: truth.length, kinds: scoreDetections(truth, detections), detections, truth };
}

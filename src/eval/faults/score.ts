// Scores health detections against the simulator's ground truth, per fault kind: a detection is right
// when it names the fault's device (and channel, for sensor faults) inside the fault's span plus a
// settling allowance; a fault is found when at least one detection is right; delay is from the fault's
// start to its first right detection.
import type { GroundTruth } from "../../sim/chaos.js";

/** The fault kinds the evaluation scores. */
export const SCORED_KINDS = ["spike", "drift", "stuck", "gap", "skew", "rate"] as const;
export type ScoredKind = (typeof SCORED_KINDS)[number];

/** Kinds judged per device: a detection on any of its channels counts. */
const DEVICE_KINDS = new Set<ScoredKind>(["gap", "skew", "rate"]);

/** How long after a fault's end a detection still counts, µs: slow detectors settle, and an ending is news too. */
const ALLOWANCE: Record<ScoredKind, number> = {
  spike: 10e6,
  stuck: 10e6,
  drift: 30 * 60e6,
  gap: 10e6,
  skew: 60e6,
  rate: 10 * 60e6,
};

/** One detection: what, where, when (arrival time, µs). */
export interface Detection {
  kind: ScoredKind;
  device: string;
  channel?: string;
  at: number;
}

/** Precision, recall and F1 over detections and faults of one kind, with the median detection delay. */
export interface KindScore {
  kind: ScoredKind;
  faults: number;
  found: number;
  detections: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
  medianDelaySeconds: number | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Scores `detections` against `truth`, one row per scored kind. */
export function scoreDetections(truth: GroundTruth[], detections: Detection[]): KindScore[] {
  return SCORED_KINDS.map((kind) => {
    const perDevice = DEVICE_KINDS.has(kind);
    const key = (device: string, channel?: string) => (perDevice ? device : `${device}/${channel}`);
    const faults = new Map<string, GroundTruth[]>();
    for (const t of truth) if (t.kind === kind) faults.set(key(t.device, t.channel), [...(faults.get(key(t.device, t.channel)) ?? []), t]);
    const firstFound = new Map<GroundTruth, number>();
    let detectionsOfKind = 0;
    let correct = 0;
    for (const d of detections) {
      if (d.kind !== kind) continue;
      detectionsOfKind++;
      const match = (faults.get(key(d.device, d.channel)) ?? []).find((t) => d.at >= t.from && d.at <= t.to + ALLOWANCE[kind]);
      if (!match) continue;
      correct++;
      if (!firstFound.has(match) || d.at < firstFound.get(match)!) firstFound.set(match, d.at);
    }
    const total = [...faults.values()].reduce((n, f) => n + f.length, 0);
    const precision = detectionsOfKind === 0 ? (total === 0 ? 1 : 0) : correct / detectionsOfKind;
    const recall = total === 0 ? 1 : firstFound.size / total;
    return {
      kind,
      faults: total,
      found: firstFound.size,
      detections: detectionsOfKind,
      correct,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
      medianDelaySeconds: median([...firstFound].map(([t, at]) => (at - t.from) / 1e6)),
    };
  });
}

// NAB's scoring (Lavin & Ahmad 2015, NAB v1.1 sweeper): every row gets a weight from its position
// against the labelled windows (scaled sigmoid: early in a window ≈ +1, long after one ≈ −fpWeight);
// one threshold is swept over the whole corpus; each window counts once, by its earliest detection;
// rows in the probationary period (first 15 %, at most 750 rows) are not scored.
import { NabDataError, type NabSeries } from "./corpus.js";

/** A NAB application profile: the cost of each kind of outcome. */
export interface NabProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three profiles, as in its `config/profiles.json`. */
export const NAB_PROFILES: Record<"standard" | "reward_low_FP_rate" | "reward_low_FN_rate", NabProfile> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

/** Rows at the start of a series that a detector may learn from without being scored. */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/** The scaled sigmoid of a position relative to a window's right edge (−1 = left edge, 0 = right edge). */
export function scaledSigmoid(position: number): number {
  return position > 3 ? -1 : 2 / (1 + Math.exp(5 * position)) - 1;
}

const PROBATION = -2;
const OUTSIDE = -1;

/** One series' rows with their NAB weights, ready to be swept together with the rest of the corpus. */
export interface WeightedRows {
  scores: Float64Array;
  weights: Float64Array;
  /** Window number within the series (0, 1, …), OUTSIDE (−1) or PROBATION (−2). */
  window: Int32Array;
  windows: number;
}

/** Weighs each row of a series under `profile` (NAB's `calcSweepScore`). */
export function weighRows(series: NabSeries, scores: Float64Array, profile: NabProfile): WeightedRows {
  const n = series.timestamps.length;
  if (scores.length !== n) throw new NabDataError(`${series.name}: ${scores.length} scores for ${n} rows`);
  const indexOf = new Map<number, number>();
  series.timestamps.forEach((t, i) => indexOf.set(t, i));
  const bounds = series.windows.map(([a, b]) => {
    const left = indexOf.get(a);
    const right = indexOf.get(b);
    if (left === undefined || right === undefined || right < left) {
      throw new NabDataError(`${series.name}: window [${new Date(a).toISOString()}, ${new Date(b).toISOString()}] does not start and end on rows of the file`);
    }
    return [left, right];
  });
  const weights = new Float64Array(n);
  const window = new Int32Array(n);
  const maxTp = scaledSigmoid(-1);
  const probation = probationaryLength(n);
  let next = 0;
  let current = -1;
  let prevRight = -1;
  let prevWidth = 0;
  const scored = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (current < 0 && next < bounds.length && i === bounds[next][0]) current = next++;
    if (current >= 0) {
      const [left, right] = bounds[current];
      const width = right - left + 1;
      weights[i] = (scaledSigmoid(-(right - i + 1) / width) * profile.tpWeight) / maxTp;
    } else {
      const unweighted = prevRight < 0 ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
      weights[i] = unweighted * profile.fpWeight;
    }
    window[i] = i < probation ? PROBATION : current >= 0 ? current : OUTSIDE;
    if (window[i] >= 0) scored.add(current);
    if (current >= 0 && i === bounds[current][1]) {
      prevRight = i;
      prevWidth = bounds[current][1] - bounds[current][0] + 1;
      current = -1;
    }
  }
  // Windows wholly inside the probationary period are not scored, exactly as in NAB.
  const renumber = new Map([...scored].sort((a, b) => a - b).map((w, k) => [w, k]));
  for (let i = 0; i < n; i++) if (window[i] >= 0) window[i] = renumber.get(window[i])!;
  return { scores, weights, window, windows: renumber.size };
}

/** The corpus score at one threshold, with the counts NAB reports. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  /** Rows at or above the threshold inside / outside windows, and windows with no detection. */
  tp: number;
  fp: number;
  missedWindows: number;
}

/** Corpus scores at every distinct threshold, highest threshold first (NAB's `calcScoreByThreshold`). */
export function sweepThresholds(rows: WeightedRows[], profile: NabProfile): ThresholdScore[] {
  let total = 0;
  for (const r of rows) for (let i = 0; i < r.scores.length; i++) if (r.window[i] !== PROBATION) total++;
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  const windowId = new Int32Array(total);
  let k = 0;
  let windowBase = 0;
  for (const r of rows) {
    for (let i = 0; i < r.scores.length; i++) {
      if (r.window[i] === PROBATION) continue;
      score[k] = r.scores[i];
      weight[k] = r.weights[i];
      windowId[k] = r.window[i] === OUTSIDE ? -1 : windowBase + r.window[i];
      k++;
    }
    windowBase += r.windows;
  }
  const order = Uint32Array.from({ length: total }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  const best = new Float64Array(windowBase).fill(-profile.fnWeight);
  let windowSum = -profile.fnWeight * windowBase;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let missed = windowBase;
  const out: ThresholdScore[] = [];
  let threshold = 1.1;
  for (const i of order) {
    if (score[i] !== threshold) {
      out.push({ threshold, score: windowSum + fpSum, tp, fp, missedWindows: missed });
      threshold = score[i];
    }
    const w = windowId[i];
    if (w < 0) {
      fp++;
      fpSum += weight[i];
    } else {
      tp++;
      if (best[w] === -profile.fnWeight) missed--;
      if (weight[i] > best[w]) {
        windowSum += weight[i] - best[w];
        best[w] = weight[i];
      }
    }
  }
  out.push({ threshold, score: windowSum + fpSum, tp, fp, missedWindows: missed });
  return out;
}

/** A detector's result on a corpus under one profile. */
export interface NabResult {
  profile: string;
  threshold: number;
  raw: number;
  /** 100 · (raw − null) / (perfect − null): a detector that never fires scores 0, a perfect one 100. */
  normalized: number;
  windows: number;
  detectedWindows: number;
  falsePositiveRows: number;
}

/** Scores a detector's per-row anomaly scores over a corpus, with the threshold optimised for `profile`. */
export function scoreCorpus(series: NabSeries[], scores: Float64Array[], profileName: keyof typeof NAB_PROFILES): NabResult {
  const profile = NAB_PROFILES[profileName];
  const rows = series.map((s, i) => weighRows(s, scores[i], profile));
  const windows = rows.reduce((sum, r) => sum + r.windows, 0);
  const sweep = sweepThresholds(rows, profile);
  let best = sweep[0];
  for (const s of sweep) if (s.score > best.score) best = s;
  const nullScore = -profile.fnWeight * windows;
  const perfect = profile.tpWeight * windows;
  return {
    profile: profileName,
    threshold: best.threshold,
    raw: best.score,
    normalized: windows === 0 ? 0 : (100 * (best.score - nullScore)) / (perfect - nullScore),
    windows,
    detectedWindows: windows - best.missedWindows,
    falsePositiveRows: best.fp,
  };
}

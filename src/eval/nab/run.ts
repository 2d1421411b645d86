// `iotpipe nab`: runs the novelty detector over a NAB-layout corpus strictly in streaming order, writes
// NAB's results files, and scores them under NAB's three profiles with the threshold optimised per
// profile over the whole corpus.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { AnalyticsKernels } from "../../analytics/kernels.js";
import { readNabCorpus, type NabSeries } from "./corpus.js";
import { NAB_PROFILES, probationaryLength, scoreCorpus, type NabResult } from "./score.js";

/** What `runNab` found: one result per NAB profile, and where the results files went. */
export interface NabReport {
  detector: "iotpipe";
  files: number;
  rows: number;
  results: NabResult[];
  outDir: string;
}

/**
 * Scores one series as a live stream would: each reading once, in order, with nothing after it known.
 * The detector learns for NAB's probationary period and stays quiet for a fifteenth of it after a detection.
 */
export async function scoreSeries(series: NabSeries, module?: WebAssembly.Module): Promise<Float64Array> {
  const n = series.values.length;
  const learnReadings = probationaryLength(n);
  const detector = await AnalyticsKernels.create({ learnReadings, suppressReadings: Math.floor(learnReadings / 15), module });
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = series.timestamps[i] * 1000;
  return detector.score(new Int32Array(n), ts, series.values);
}

function labels(series: NabSeries): Uint8Array {
  const label = new Uint8Array(series.timestamps.length);
  series.timestamps.forEach((t, i) => {
    for (const [a, b] of series.windows) if (t >= a && t <= b) label[i] = 1;
  });
  return label;
}

function resultsCsv(series: NabSeries, scores: Float64Array): string {
  const label = labels(series);
  const lines = ["timestamp,value,anomaly_score,label"];
  for (let i = 0; i < scores.length; i++) lines.push(`${series.timestampText[i]},${series.values[i]},${scores[i]},${label[i]}`);
  return `${lines.join("\n")}\n`;
}

/** Runs the detector over every CSV in `dataDir`, writes `<outDir>/<category>/iotpipe_<file>.csv` and `final_results.json`. */
export async function runNab(dataDir: string, outDir: string, module?: WebAssembly.Module): Promise<NabReport> {
  const corpus = readNabCorpus(dataDir);
  const scores: Float64Array[] = [];
  for (const series of corpus) {
    const s = await scoreSeries(series, module);
    scores.push(s);
    const file = join(outDir, dirname(series.name), `iotpipe_${basename(series.name)}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, resultsCsv(series, s));
  }
  const results = (Object.keys(NAB_PROFILES) as Array<keyof typeof NAB_PROFILES>).map((p) => scoreCorpus(corpus, scores, p));
  const summary = { iotpipe: Object.fromEntries(results.map((r) => [r.profile, r.normalized])) };
  writeFileSync(join(outDir, "final_results.json"), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, "iotpipe_thresholds.json"), `${JSON.stringify(Object.fromEntries(results.map((r) => [r.profile, r])), null, 2)}\n`);
  return { detector: "iotpipe", files: corpus.length, rows: corpus.reduce((n, s) => n + s.values.length, 0), results, outDir };
}

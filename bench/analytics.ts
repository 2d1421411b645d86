// The analytics bench: readings per second through the anomaly, health and window kernels on the batch
// path (host copies included), one core, on real NAB series laid out the way a worker sees them, and
// the state they keep per series. `npm run bench:analytics -- [--json] [--quick]`; JSON lines with --json.
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { AnalyticsKernels } from "../src/analytics/kernels.js";
import { WindowKernel } from "../src/analytics/windows/window-kernel.js";
import { compileWindowModule } from "../src/analytics/windows/module.js";
import { readNabCorpus } from "../src/eval/nab/corpus.js";
import { FULL_TIMING, QUICK_TIMING, secondsPerPassInTurns } from "./timing.js";

const BATCH = 8192;
const { values: args } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
const plan = args.quick ? QUICK_TIMING : FULL_TIMING;
const emit = (row: Record<string, unknown>) =>
  console.log(args.json ? JSON.stringify({ ...row, cores: availableParallelism() }) : Object.values(row).join("  "));

const corpus = readNabCorpus(fileURLToPath(new URL("../../shared/data/nab/", import.meta.url)));
const readings = corpus.reduce((n, s) => n + s.values.length, 0);
emit({ run: "analytics", series: corpus.length, readings, batch: BATCH, quick: args.quick, loadAverage: loadavg()[0] });

/** Readings of `copies` × the corpus, each copy a different set of series, cut into batches in the order given by `order`. */
function layout(copies: number, interleave: boolean): { slots: Int32Array; ts: Float64Array; values: Float64Array; ts1Hz: Float64Array } {
  const n = readings * copies;
  const slots = new Int32Array(n);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  // The same readings one second apart (sensors at 1 Hz), for the windows: NAB's 5-minute series would
  // fire every sliding window on every reading.
  const ts1Hz = new Float64Array(n);
  const cursor = new Int32Array(corpus.length * copies);
  let k = 0;
  if (!interleave) {
    for (let c = 0; c < copies; c++) {
      corpus.forEach((s, i) => {
        for (let j = 0; j < s.values.length; j++, k++) {
          slots[k] = c * corpus.length + i;
          ts[k] = s.timestamps[j] * 1000;
          ts1Hz[k] = 1.7e15 + j * 1e6;
          values[k] = s.values[j];
        }
      });
    }
    return { slots, ts, values, ts1Hz };
  }
  // Round robin over every series, as a worker's batch mixes many devices' readings of the same seconds.
  while (k < n) {
    for (let slot = 0; slot < cursor.length; slot++) {
      const s = corpus[slot % corpus.length];
      const j = cursor[slot];
      if (j >= s.values.length) continue;
      slots[k] = slot;
      ts[k] = s.timestamps[j] * 1000;
      ts1Hz[k] = 1.7e15 + j * 1e6;
      values[k] = s.values[j] + slot;
      cursor[slot]++;
      k++;
    }
  }
  return { slots, ts, values, ts1Hz };
}

async function measure(name: string, copies: number, interleave: boolean): Promise<void> {
  const data = layout(copies, interleave);
  const scores = new Float64Array(BATCH);
  const findings = new Uint32Array(BATCH);
  const arrival = data.ts.map((t) => t + 20e3);
  const kernels = await AnalyticsKernels.create({ learnReadings: 750, suppressReadings: 50 });
  const module = await compileWindowModule();
  // One series per device: the window kernel's device column is the series slot.
  // Rolling statistics (what a dashboard's 5-minute averages need) and the same with a percentile,
  // whose panes also keep the 32-bin sketch.
  const windowSpec = { kind: "sliding" as const, sizeUs: 300e6, slideUs: 60e6, gapUs: 0, outOfOrdernessUs: 5e6, allowedLatenessUs: 30e6, idleUs: 30e6 };
  const windows = await WindowKernel.create({ ...windowSpec, aggregates: ["count", "mean", "min", "max", "stddev", "rate"] }, module);
  const sketched = await WindowKernel.create({ ...windowSpec, aggregates: ["count", "mean", "min", "max", "stddev", "p95"] }, module);
  const flags = new Uint8Array(BATCH);
  const windowWith = (kernel: WindowKernel) => (at: number, end: number) =>
    kernel.push(data.slots.subarray(at, end), data.slots.subarray(at, end), data.ts1Hz.subarray(at, end), data.values.subarray(at, end), arrival[end - 1], flags.subarray(0, end - at));
  const window = windowWith(windows);
  const windowP95 = windowWith(sketched);
  const health = (at: number, end: number) => kernels.judge(data.slots.subarray(at, end), data.ts.subarray(at, end), arrival.subarray(at, end), data.values.subarray(at, end), undefined, findings);
  const passes: Array<[string, (at: number, end: number) => void]> = [
    ["anomaly kernel throughput", (at, end) => kernels.score(data.slots.subarray(at, end), data.ts.subarray(at, end), data.values.subarray(at, end), scores)],
    ["health kernel throughput", health],
    ["window kernel throughput (5 min sliding by 1 min: count, mean, min, max, stddev, rate)", window],
    ["window kernel throughput (5 min sliding by 1 min, with p95)", windowP95],
    ["windows + health throughput", (at, end) => (window(at, end), health(at, end))],
    ["windows with p95 + health throughput", (at, end) => (windowP95(at, end), health(at, end))],
  ];
  // Every pass starts the series afresh: the same readings again would be judged against themselves.
  const whole = passes.map(([, batch]) => () => {
    kernels.reset(0, kernels.series);
    windows.reset();
    sketched.reset();
    for (let at = 0; at < data.values.length; at += BATCH) batch(at, Math.min(at + BATCH, data.values.length));
  });
  secondsPerPassInTurns(whole, plan).forEach((seconds, i) => {
    emit({ figure: passes[i][0], scenario: name, series: corpus.length * copies, value: Math.round(data.values.length / seconds), unit: "readings/s" });
  });
  emit({ figure: "state per series (anomaly + health)", scenario: name, value: kernels.stateBytes, unit: "bytes" });
  emit({ figure: "state per series (window: 5 min sliding by 1 min, 5 s bound, 30 s lateness)", scenario: name, value: windows.stateBytes, unit: "bytes" });
  emit({ figure: "state per series (the same window with p95)", scenario: name, value: sketched.stateBytes, unit: "bytes" });
}

await measure("series after series (NAB order)", 1, false);
await measure(`${corpus.length * 20} series interleaved`, 20, true);
if (!args.quick) await measure(`${corpus.length * 400} series interleaved`, 400, true);

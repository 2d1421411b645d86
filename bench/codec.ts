// The codec bench: iotpipe's adaptive block codec against Gorilla, gzip and brotli on real and seeded
// synthetic data, all in one run. `npm run bench:codec -- [--json] [--quick] [--dataset S] [--block N]`.
// Rows go to stdout (see report.ts); the run stops with an error if any block fails to round-trip.
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createCodec, MAX_BLOCK_POINTS } from "../src/codec/index.js";
import { cutBlocks, selectDatasets } from "./datasets/index.js";
import { aggregateRow, pointsOf, seriesMeanRow, targetFigures, type Row } from "./figures.js";
import type { Contender } from "./peers/contender.js";
import { gorillaContender, iotpipeContender } from "./peers/iotpipe.js";
import { brotliContender, gzipContender } from "./peers/zlib.js";
import { jsonReporter, tableReporter } from "./report.js";
import { cpuSeconds, FULL_TIMING, QUICK_TIMING, secondsPerPass } from "./timing.js";

const USAGE = `usage: npm run bench:codec -- [--json] [--quick] [--dataset <substring>] [--block <points>] [--series <count>]
  --json       one JSON object per line instead of a table
  --quick      three short timing samples and 8 series per synthetic shape (a smoke run)
  --dataset S  only datasets whose name contains S
  --block N    points per block (default 8192)
  --series N   series per synthetic shape (default 32, 8 with --quick)`;

function positiveInt(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} takes an integer in 1..${max}, got "${text}"`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      dataset: { type: "string" },
      block: { type: "string" },
      series: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  return {
    json: values.json!,
    quick: values.quick!,
    help: values.help!,
    dataset: values.dataset,
    blockPoints: positiveInt("--block", values.block, 8192, MAX_BLOCK_POINTS),
    // Brotli at its default quality compresses under 1 MB/s and takes most of the run: 32 series per
    // shape make a full run of ~90 CPU seconds (64 take ~150 and move the figures only in the third
    // digit); --quick's 8 take ~22. The first k series are the same whatever the count.
    syntheticSeries: positiveInt("--series", values.series, values.quick ? 8 : 32, 4096),
  };
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const cpuStarted = cpuSeconds();
  let args: ReturnType<typeof options>;
  try {
    args = options();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const cores = availableParallelism();
  const timing = args.quick ? QUICK_TIMING : FULL_TIMING;
  const report = args.json ? jsonReporter : tableReporter;
  const codec = await createCodec();
  const contenders: Contender[] = [iotpipeContender(codec), gorillaContender(codec), gzipContender, brotliContender];
  const sources = selectDatasets(args.syntheticSeries, args.dataset);
  if (sources.length === 0) {
    const names = selectDatasets(args.syntheticSeries).map((d) => d.name);
    process.stderr.write(`no dataset name contains "${args.dataset}"; the datasets are ${names.join(", ")}\n`);
    process.exitCode = 2;
    return;
  }

  report.start({ cores, blockPoints: args.blockPoints, syntheticSeries: args.syntheticSeries, quick: args.quick, loadAverage: loadavg()[0] });
  const rows: Row[] = [];
  const iotpipe = { points: 0, encodeSeconds: 0, decodeSeconds: 0 };
  for (const source of sources) {
    const series = source.load();
    const blocks = cutBlocks(series, args.blockPoints);
    report.dataset(source.name, source.note, series.length, blocks.length);
    for (const contender of contenders) {
      const run = contender.prepare(source.name, blocks);
      const encodeSeconds = run.encodeSecondsOnce ?? secondsPerPass(run.encodeAll, timing);
      const decodeSeconds = secondsPerPass(run.decodeAll, timing);
      const input = { dataset: source.name, codec: contender.name, costs: run.costs, encodeSeconds, decodeSeconds, valueCodecs: run.valueCodecs, cores };
      const measured = source.seriesMean ? [aggregateRow(input), seriesMeanRow(input)] : [aggregateRow(input)];
      for (const row of measured) {
        rows.push(row);
        report.row(row);
      }
      if (contender.name === "iotpipe") {
        iotpipe.points += pointsOf(run.costs);
        iotpipe.encodeSeconds += encodeSeconds;
        iotpipe.decodeSeconds += decodeSeconds;
      }
    }
  }
  const targets = targetFigures({
    rows,
    iotpipePoints: iotpipe.points,
    iotpipeEncodeSeconds: iotpipe.encodeSeconds,
    iotpipeDecodeSeconds: iotpipe.decodeSeconds,
    cores,
  });
  report.targets(targets, Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds() - cpuStarted);
}

await main();

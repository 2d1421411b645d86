// Real series from the workspace's shared data (../../shared/data, never copied into the project):
// NAB CSVs (`timestamp,value`, UTC `YYYY-MM-DD HH:MM:SS`) and the ALP paper's one-double-per-line samples.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { DatasetSource, Series } from "./dataset.js";

const DATA_DIR = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

/** ALP samples carry no timestamps; they get 1 Hz from this instant (µs). */
const ALP_START_US = Date.UTC(2024, 0, 1) * 1000;

function csvFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv"))
    .sort()
    .map((f) => join(dir, f));
}

function nabDirs(prefix: string): string[] {
  const nab = join(DATA_DIR, "nab");
  return readdirSync(nab, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
    .map((e) => join(nab, e.name))
    .sort();
}

/** Parses `YYYY-MM-DD HH:MM:SS` (UTC) into µs since the epoch; NaN when it is not that shape. */
function parseUtcMicros(s: string): number {
  if (s.length !== 19 || s[4] !== "-" || s[7] !== "-" || s[10] !== " " || s[13] !== ":" || s[16] !== ":") return NaN;
  const n = (from: number, to: number) => Number(s.slice(from, to));
  return Date.UTC(n(0, 4), n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19)) * 1000;
}

function readNabCsv(file: string): Series {
  const lines = readFileSync(file, "utf8").split("\n");
  if (lines[0].trim() !== "timestamp,value") throw new Error(`${file}: expected the header "timestamp,value", got "${lines[0]}"`);
  const rows = lines.slice(1).filter((l) => l.trim() !== "");
  const timestamps = new Float64Array(rows.length);
  const values = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const comma = row.indexOf(",");
    const t = parseUtcMicros(row.slice(0, comma));
    const v = Number(row.slice(comma + 1));
    if (comma < 0 || !Number.isFinite(t) || Number.isNaN(v)) throw new Error(`${file}:${i + 2}: cannot read "${row}"`);
    timestamps[i] = t;
    values[i] = v;
  });
  return { name: file.slice(DATA_DIR.length), timestamps, values };
}

function readAlpSample(file: string): Series {
  const rows = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  const values = new Float64Array(rows.length);
  const timestamps = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const v = Number(row);
    if (Number.isNaN(v) && row.trim().toLowerCase() !== "nan") throw new Error(`${file}:${i + 1}: cannot read "${row}"`);
    values[i] = v;
    timestamps[i] = ALP_START_US + i * 1_000_000;
  });
  return { name: file.slice(DATA_DIR.length), timestamps, values };
}

/** The real datasets, in report order. */
export const realDatasets: DatasetSource[] = [
  {
    name: "nab-real",
    note: "NAB real* CSVs: AWS, ad exchange, known-cause and tweet series, mostly 5-minute",
    seriesMean: true,
    load: () => nabDirs("real").flatMap(csvFiles).map(readNabCsv),
  },
  {
    name: "nab-artificial",
    note: "NAB artificial* CSVs: generated 5-minute series with and without anomalies",
    load: () => nabDirs("artificial").flatMap(csvFiles).map(readNabCsv),
  },
  {
    name: "alp-samples",
    note: "ALP paper samples: 1024 doubles per dataset, given 1 Hz timestamps",
    load: () => csvFiles(join(DATA_DIR, "alp-samples")).map(readAlpSample),
  },
];

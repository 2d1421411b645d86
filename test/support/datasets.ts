// The shared real series (shared/data/, beside the clone; see its README): NAB's timestamped CSVs and
// the ALP paper's value samples, loaded as the typed arrays the codec takes. For tests and benchmarks.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** shared/data/, which CI checks out beside the repository. */
export const SHARED_DATA = new URL("../../../shared/data/", import.meta.url);

/** One series: integral µs since the epoch, and values as parsed from their decimal text. */
export interface Series {
  timestamps: Float64Array;
  values: Float64Array;
}

function dataPath(relative: string): string {
  return fileURLToPath(new URL(relative, SHARED_DATA));
}

/** Every NAB series, as paths relative to nab/ (e.g. "realKnownCause/nyc_taxi.csv"), sorted. */
export function nabFiles(): string[] {
  return (readdirSync(dataPath("nab/"), { recursive: true, encoding: "utf8" }) as string[])
    .filter((p) => p.endsWith(".csv"))
    .map((p) => p.split("\\").join("/"))
    .sort();
}

/** "YYYY-MM-DD HH:MM:SS" (UTC) → µs since the epoch. */
export function parseUtcMicros(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) throw new Error(`not a YYYY-MM-DD HH:MM:SS timestamp: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s) * 1000;
}

/** Parses a `timestamp,value` CSV (LF or CRLF). Throws on any line it cannot read, naming it. */
export function parseNabCsv(text: string, name = "csv"): Series {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0] !== "timestamp,value") throw new Error(`${name}: header is ${JSON.stringify(lines[0])}, expected "timestamp,value"`);
  const n = lines.length - 1;
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const line = lines[i + 1];
    const comma = line.indexOf(",");
    const value = Number(line.slice(comma + 1));
    if (comma < 0 || line.slice(comma + 1).trim() === "" || Number.isNaN(value)) {
      throw new Error(`${name}:${i + 2}: cannot read ${JSON.stringify(line)}`);
    }
    timestamps[i] = parseUtcMicros(line.slice(0, comma));
    values[i] = value;
  }
  return { timestamps, values };
}

/** One NAB series by its path relative to nab/. */
export function loadNabSeries(relative: string): Series {
  return parseNabCsv(readFileSync(dataPath(`nab/${relative}`), "utf8"), relative);
}

/** The ALP sample files (one double per line), sorted: every file there but the licence. */
export function alpFiles(): string[] {
  return readdirSync(dataPath("alp-samples/"))
    .filter((name) => !name.startsWith("LICENSE"))
    .sort();
}

/** One ALP sample's values. Throws on any line that is not a number, naming it. */
export function loadAlpSample(name: string): Float64Array {
  const lines = readFileSync(dataPath(`alp-samples/${name}`), "utf8")
    .split(/\r?\n/)
    .filter((line) => line.length > 0);
  return Float64Array.from(lines, (line, i) => {
    const value = Number(line);
    if (line.trim() === "" || Number.isNaN(value)) throw new Error(`${name}:${i + 1}: cannot read ${JSON.stringify(line)}`);
    return value;
  });
}

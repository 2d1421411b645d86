// Reads a corpus laid out as the Numenta Anomaly Benchmark's data folder: one `timestamp,value` CSV per
// series in a category folder, and `labels_combined_windows.json` mapping "category/file.csv" to its
// labelled anomaly windows.
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";

/** One series of the corpus, as NAB hands it to a detector. */
export interface NabSeries {
  /** Path relative to the corpus folder, e.g. `realKnownCause/ambient_temperature_system_failure.csv`. */
  name: string;
  /** Timestamps in ms since the epoch (UTC), as printed in the file. */
  timestamps: Float64Array;
  /** The timestamps exactly as printed, so results files repeat them. */
  timestampText: string[];
  values: Float64Array;
  /** Labelled windows as [start, end] in ms, inclusive; empty when the file has none or no labels exist. */
  windows: Array<[number, number]>;
}

/** A corpus file that cannot be read as NAB data. */
export class NabDataError extends Error {
  override name = "NabDataError";
}

/** Parses `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) to ms since the epoch. */
export function parseNabTime(text: string): number {
  const ms = Date.parse(`${text.trim().replace(" ", "T").slice(0, 23)}Z`);
  if (!Number.isFinite(ms)) throw new NabDataError(`not a NAB timestamp: ${JSON.stringify(text)}`);
  return ms;
}

/** Parses one series' CSV text (header `timestamp,value`). */
export function parseNabCsv(name: string, text: string): Omit<NabSeries, "windows"> {
  const lines = text.split(/\r?\n/);
  if (!/^timestamp,value/.test(lines[0] ?? "")) throw new NabDataError(`${name}: header is not "timestamp,value"`);
  const timestampText: string[] = [];
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const comma = line.indexOf(",");
    const value = Number(line.slice(comma + 1));
    if (comma < 0 || line.slice(comma + 1).trim() === "" || Number.isNaN(value)) {
      throw new NabDataError(`${name}: line ${i + 1} is not "timestamp,value": ${JSON.stringify(line)}`);
    }
    const stamp = line.slice(0, comma);
    timestampText.push(stamp);
    ts.push(parseNabTime(stamp));
    vs.push(value);
  }
  return { name, timestamps: Float64Array.from(ts), timestampText, values: Float64Array.from(vs) };
}

/** Every CSV under `dir`'s category folders, sorted by name, with its windows from the labels file. */
export function readNabCorpus(dir: string): NabSeries[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NabDataError(`${dir}: no such folder`);
  const labelsFile = join(dir, "labels_combined_windows.json");
  const labels: Record<string, Array<[string, string]>> = existsSync(labelsFile) ? JSON.parse(readFileSync(labelsFile, "utf8")) : {};
  const series: NabSeries[] = [];
  for (const category of readdirSync(dir).sort()) {
    const folder = join(dir, category);
    if (!statSync(folder).isDirectory()) continue;
    for (const file of readdirSync(folder).sort()) {
      if (!file.endsWith(".csv")) continue;
      const name = `${category}/${file}`;
      const parsed = parseNabCsv(name, readFileSync(join(folder, file), "utf8"));
      const windows = (labels[name] ?? []).map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as [number, number]);
      series.push({ ...parsed, windows });
    }
  }
  if (series.length === 0) throw new NabDataError(`${dir}: no category folders with CSV files`);
  return series;
}

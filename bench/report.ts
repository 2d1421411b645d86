// Output of the codec bench: one JSON object per line (--json), or a readable table. Rows are
// written as soon as they are measured, so a long run shows progress and a crash keeps what ran.
import type { Row, TargetFigure } from "./figures.js";

export interface RunInfo {
  cores: number;
  blockPoints: number;
  syntheticSeries: number;
  quick: boolean;
  /** One-minute load average when the run started: speeds mean little when it exceeds the cores. */
  loadAverage: number;
}

export interface Reporter {
  start(info: RunInfo): void;
  dataset(name: string, note: string, series: number, blocks: number): void;
  row(row: Row): void;
  /** The targets, and the whole run's wall-clock and CPU seconds. */
  targets(figures: readonly TargetFigure[], wallSeconds: number, cpuSeconds: number): void;
}

const write = (line: string) => process.stdout.write(line + "\n");

/** One JSON object per line: rows, then one line per target. Nothing else on stdout. */
export const jsonReporter: Reporter = {
  start() {},
  dataset() {},
  row: (row) => write(JSON.stringify(row)),
  targets: (figures) => figures.forEach((f) => write(JSON.stringify(f))),
};

const fmt = (x: number | null, digits: number) => (x === null ? "—" : x.toFixed(digits));
const speedText = (x: number | null) => (x === null ? "—" : x < 10 ? x.toPrecision(2) : x.toFixed(0));
const COLUMNS: [title: string, width: number][] = [
  ["codec", 22], ["points", 10], ["bits/value", 11], ["bits/ts", 9], ["bytes/pt", 9], ["enc Mpt/s", 10], ["dec Mpt/s", 10], ["value codecs", 0],
];

/** The first column left-aligned, numbers right-aligned, the last (width 0) free text. */
function line(cells: string[]): string {
  return cells
    .map((c, i) => {
      const width = COLUMNS[i][1];
      if (i === 0) return "  " + c.padEnd(width);
      return width > 0 ? c.padStart(width) : "  " + c;
    })
    .join("")
    .trimEnd();
}

/** A table per dataset, then the targets with their goals. */
export const tableReporter: Reporter = {
  start(info) {
    write(
      `iotpipe codec bench: ${info.cores} cores, blocks of ${info.blockPoints} points, ` +
        `${info.syntheticSeries} series per synthetic shape${info.quick ? ", --quick (3 short timing samples)" : ""}`,
    );
    write(`bits exclude block headers; bytes/pt includes them; speeds: best whole-dataset pass in CPU time; load average ${info.loadAverage.toFixed(1)} at start`);
  },
  dataset(name, note, series, blocks) {
    write("");
    write(`${name}: ${note} (${series} series, ${blocks} blocks)`);
    write(line(COLUMNS.map(([title]) => title)));
  },
  row(row) {
    const codec = row.aggregate === "series_mean" ? `${row.codec} (series mean)` : row.codec;
    const codecs = row.value_codecs ? Object.entries(row.value_codecs).map(([k, n]) => `${k}:${n}`).join(" ") : "";
    write(
      line([
        codec, String(row.points), fmt(row.bits_per_value, 2), fmt(row.bits_per_timestamp, 3), fmt(row.bytes_per_point, 3),
        speedText(row.encode_mpts_s), speedText(row.decode_mpts_s), row.aggregate === "series_mean" ? "" : codecs,
      ]),
    );
  },
  targets(figures, wallSeconds, cpuSeconds) {
    write("");
    write("targets (iotpipe):");
    for (const f of figures) {
      const verdict = f.met === null ? "not measured" : f.met ? "met" : "NOT met";
      const relation = f.unit === "Mpts/s" ? "≥" : "≤";
      const value = f.unit === "Mpts/s" ? speedText(f.value) : fmt(f.value, 3);
      write(`  ${f.figure.padEnd(30)} ${value.padStart(8)} ${f.unit.padEnd(15)} goal ${relation} ${f.goal}  ${verdict}`);
    }
    write(`\n${wallSeconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU`);
  },
};

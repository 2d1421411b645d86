// Output of the ingest bench: one JSON object per line (--json), or readable lines. Lines are written
// as soon as they are measured, so a long run shows progress and a crash keeps what ran.

export type Engine = "iotpipe" | "victoria-metrics";

/** One measured figure. Every line has the scenario, the figure, its unit and the machine's cores. */
export interface Line {
  bench: "ingest";
  scenario: string | null;
  engine: Engine;
  figure: string;
  value: number | null;
  unit: string | null;
  cores: number;
  [detail: string]: unknown;
}

export interface Reporter {
  scenario(name: string, note: string): void;
  line(l: Line): void;
  /** Notes on progress (stderr in table mode, nothing in JSON mode). */
  progress(text: string): void;
  done(seconds: number): void;
}

const write = (text: string) => process.stdout.write(text + "\n");

export const jsonReporter: Reporter = {
  scenario() {},
  line: (l) => write(JSON.stringify(l)),
  progress() {},
  done() {},
};

function show(value: number | null, unit: string | null): string {
  if (value === null) return "—";
  if (unit === "readings/s") return `${(value / 1e6).toFixed(3)} M readings/s`;
  if (unit === "ms") return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  return `${value} ${unit ?? ""}`.trim();
}

/** The details worth a glance in table mode. */
const SHOWN = ["load", "mode", "analytics", "offered_readings_per_s", "connections", "retry_answers", "frame_errors", "pool_wraps", "generator_cores", "target", "per"];

export const tableReporter: Reporter = {
  scenario(name, note) {
    write("");
    write(`${name}: ${note}`);
  },
  line(l) {
    const extra = SHOWN.filter((k) => l[k] !== undefined && l[k] !== 0).map((k) => `${k} ${String(l[k])}`);
    if (l.error) extra.push(`ERROR ${String(l.error)}`);
    if (l.first_error) extra.push(`first error: ${String(l.first_error)}`);
    if (l.skipped) extra.push(`skipped: ${String(l.skipped)}`);
    write(`  ${l.engine.padEnd(17)} ${l.figure.padEnd(30)} ${show(l.value, l.unit).padStart(22)}  ${extra.join(", ")}`.trimEnd());
  },
  progress: (text) => process.stderr.write(`  … ${text}\n`),
  done: (seconds) => write(`\n${seconds.toFixed(1)} s`),
};

// Output of the archive bench: one JSON object per line (--json), or readable lines and a side-by-side
// table per dataset. Lines are written as soon as they are measured, so a long run shows progress
// and a crash keeps what ran.
import type { Scenario } from "./scenarios.js";

export type Engine = "iotpipe" | "victoria-metrics";

/** One measured figure. Every line has the figure, its unit and the machine's cores. */
export interface Line {
  bench: "archive";
  dataset: string | null;
  engine: Engine;
  figure: string;
  value: number | null;
  unit: string | null;
  cores: number;
  /** The query a latency belongs to. */
  query?: string;
  [detail: string]: unknown;
}

export interface Reporter {
  scenario(s: Scenario, points: number): void;
  line(l: Line): void;
  /** Notes on progress (stderr in table mode, nothing in JSON mode). */
  progress(text: string): void;
  scenarioDone(): void;
  done(seconds: number): void;
}

const write = (text: string) => process.stdout.write(text + "\n");

/** Nothing but the lines on stdout. */
export const jsonReporter: Reporter = {
  scenario() {},
  line: (l) => write(JSON.stringify(l)),
  progress() {},
  scenarioDone() {},
  done() {},
};

function show(value: number | null, unit: string | null): string {
  if (value === null) return "—";
  if (unit === "points/s") return `${(value / 1e6).toFixed(2)} M points/s`;
  if (unit === "ms") return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  if (unit === "bytes/point") return `${value.toFixed(3)} bytes/point`;
  return `${value} ${unit ?? ""}`.trim();
}

/** Readable lines as they come, then the two stores side by side. */
export function tableReporter(): Reporter {
  let lines: Line[] = [];
  return {
    scenario(s, points) {
      lines = [];
      write("");
      write(`${s.fleet.name}: ${s.note}: ${points.toLocaleString("en")} points`);
    },
    line(l) {
      lines.push(l);
      const what = l.query ? `${l.figure} ${l.query}` : l.figure;
      const extra = l.error ? `  ERROR: ${String(l.error)}` : l.reason ? `  (${String(l.reason)})` : "";
      write(`  ${l.engine.padEnd(17)} ${what.padEnd(44)} ${show(l.value, l.unit)}${extra}`);
      if (l.explain) write(`  ${"".padEnd(17)} explain: ${JSON.stringify(l.explain)}`);
    },
    progress: (text) => process.stderr.write(`  … ${text}\n`),
    scenarioDone() {
      const keys = [...new Set(lines.map((l) => (l.query ? `${l.figure} ${l.query}` : l.figure)))];
      const pick = (engine: Engine, key: string) => lines.find((l) => l.engine === engine && (l.query ? `${l.figure} ${l.query}` : l.figure) === key);
      write("");
      write(`  ${"".padEnd(44)} ${"iotpipe".padStart(22)} ${"victoria-metrics".padStart(22)}`);
      for (const key of keys) {
        const a = pick("iotpipe", key);
        const b = pick("victoria-metrics", key);
        if (!a && !b) continue;
        write(`  ${key.padEnd(44)} ${show(a?.value ?? null, a?.unit ?? null).padStart(22)} ${show(b?.value ?? null, b?.unit ?? null).padStart(22)}`);
      }
    },
    done: (seconds) => write(`\n${seconds.toFixed(1)} s`),
  };
}

// The archive bench's command line.
import { parseArgs } from "node:util";
import type { RunSize } from "./scenarios.js";

export const USAGE = `usage: npm run bench:archive -- [--json] [--quick | --full] [--no-peer]
  --json      one JSON object per line (figure, value, unit, cores, …) instead of readable lines
  --quick     small data for a smoke run (7 device-days; 100 devices × 1 h), under a minute
  --full      the fleet scenario at its real size: 1 000 devices × 24 h (86.4 M points);
              by default it is 1 000 devices × 6 h (21.6 M points), keeping a default run near
              2–3 minutes on a 2-core machine (--full: about 8)
  --no-peer   leave VictoriaMetrics out`;

export interface BenchOptions {
  json: boolean;
  size: RunSize;
  peer: boolean;
  help: boolean;
}

/** Parses argv; throws with a message for the usage line on bad flags. */
export function benchOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      "no-peer": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.quick && values.full) throw new Error("--quick and --full exclude each other");
  return {
    json: values.json!,
    size: values.quick ? "quick" : values.full ? "full" : "default",
    peer: !values["no-peer"],
    help: values.help!,
  };
}

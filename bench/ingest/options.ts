// The ingest bench's command line.
import { parseArgs } from "node:util";

export const SCENARIO_NAMES = ["gateway-binary", "gateway-blocks", "json-devices", "line-protocol", "idle-connections", "redis"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const USAGE = `usage: npm run bench:ingest -- [--json] [--quick] [--scenario NAME]… [--no-peer] [--profile DIR]
  --json            one JSON object per line (scenario, figure, value, unit, cores, …), nothing else on stdout
  --quick           ~5 s per scenario and smaller fleets: the whole run in under 2 minutes
  --scenario NAME   run only NAME (repeatable): ${SCENARIO_NAMES.join(", ")}
  --no-peer         leave VictoriaMetrics out of line-protocol
  --profile DIR     run each iotpipe server under node --cpu-prof, writing .cpuprofile files to DIR
The servers inherit the environment: IOTPIPE_WORKERS=2 npm run bench:ingest measures two archive workers.`;

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  scenarios: ScenarioName[];
  peer: boolean;
  profileDir: string | undefined;
  help: boolean;
}

/** Parses argv; throws with a message for the usage line on bad flags. */
export function benchOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      scenario: { type: "string", multiple: true },
      "no-peer": { type: "boolean", default: false },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const wanted = values.scenario ?? [...SCENARIO_NAMES];
  for (const s of wanted) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(s)) throw new Error(`unknown scenario ${JSON.stringify(s)}`);
  }
  return {
    json: values.json!,
    quick: values.quick!,
    scenarios: SCENARIO_NAMES.filter((s) => wanted.includes(s)),
    peer: !values["no-peer"],
    profileDir: values.profile,
    help: values.help!,
  };
}

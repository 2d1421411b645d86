// What a query asks and what it gets back. Time is µs since the epoch; ranges are [from, to); step
// buckets are aligned to multiples of the step (as in VictoriaMetrics and Prometheus).

/** count, sum, min, max, avg, stddev (population), first, last, rate (per second), or pNN (percentile). */
export type Aggregate = "count" | "sum" | "min" | "max" | "avg" | "stddev" | "first" | "last" | "rate" | `p${number}`;

/** A query over one channel of the selected devices. */
export interface Query {
  /** Device ids, or one glob pattern (`*`, `?`); omitted: every device. */
  devices?: readonly string[] | string;
  /** Device tags that must all match (e.g. `{ zone: "B", type: "press" }`). */
  tags?: Readonly<Record<string, string>>;
  channel: string;
  from: number;
  to: number;
  aggregates: readonly Aggregate[];
  /** Bucket width: µs, or "1m", "5m", "15m", "1h", "6h", "1d"; omitted: one bucket [from, to). */
  step?: number | string;
  /** "none" (default), "device", "series", or a tag name such as "zone". */
  groupBy?: string;
  /** "approx" (default): percentiles from merged block sketches with a stated error bound; "exact": decode. */
  percentiles?: "approx" | "exact";
  /** Convert values to this unit; default: the unit of each channel's newest version. */
  unit?: string;
}

/** One bucket's aggregates; null where there is nothing to aggregate (e.g. rate of one point). */
export interface QueryRow {
  start: number;
  end: number;
  values: Record<string, number | null>;
  /** For approximate percentiles: the answer is within ± this of the exact nearest-rank percentile. */
  errorBounds?: Record<string, number>;
}

export interface QueryGroup {
  key: Record<string, string>;
  series: number;
  rows: QueryRow[];
}

/** A channel version in force within the queried range. */
export interface VersionBoundary {
  device: string;
  channel: string;
  version: number;
  since: number;
  unit?: string;
  valueType: string;
}

/** How a query was (or would be) answered. */
export interface QueryPlan {
  series: number;
  partitionsInRange: number;
  partitionsOpened: number;
  segmentsRead: number;
  blocksInRange: number;
  blocksFromHeaders: number;
  blocksDecoded: number;
  pointsDecoded: number;
  memoryPoints: number;
  quarantinedSkipped: number;
}

export interface QueryResult {
  groups: QueryGroup[];
  unit?: string;
  versions: VersionBoundary[];
  warnings: string[];
  plan: QueryPlan;
}

const STEPS: Record<string, number> = { "1s": 1e6, "1m": 60e6, "5m": 300e6, "15m": 900e6, "1h": 3600e6, "6h": 21600e6, "1d": 86400e6 };

/** A checked query with its step in µs (undefined: one bucket). */
export interface NormalizedQuery extends Query {
  stepMicros: number | undefined;
  /** Percentiles asked for, as p in 0..100 (pNN). */
  quantiles: { name: string; p: number }[];
}

/** Checks a query; returns an explanation of what is wrong, or the normalised query. */
export function normalizeQuery(q: Query): NormalizedQuery | string {
  if (typeof q.channel !== "string" || q.channel === "") return "channel is required";
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.from >= q.to) return `from (${q.from}) must be before to (${q.to})`;
  if (!Array.isArray(q.aggregates) || q.aggregates.length === 0) return "aggregates must name at least one aggregate";
  const quantiles: { name: string; p: number }[] = [];
  for (const a of q.aggregates) {
    if (/^p\d+(\.\d+)?$/.test(a)) {
      const p = Number(a.slice(1));
      if (!(p >= 0 && p <= 100)) return `percentile ${a} must be within p0..p100`;
      quantiles.push({ name: a, p });
    } else if (!["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"].includes(a)) {
      return `unknown aggregate ${JSON.stringify(a)}`;
    }
  }
  let stepMicros: number | undefined;
  if (q.step !== undefined) {
    stepMicros = typeof q.step === "number" ? q.step : STEPS[q.step];
    if (!(stepMicros! > 0) || !Number.isInteger(stepMicros)) return `step ${JSON.stringify(q.step)} is not a whole number of µs or one of ${Object.keys(STEPS).join(", ")}`;
  }
  if (q.percentiles !== undefined && q.percentiles !== "approx" && q.percentiles !== "exact") return `percentiles must be "approx" or "exact"`;
  return { ...q, stepMicros, quantiles };
}

/** Start of the bucket holding `t`. */
export function bucketStart(q: NormalizedQuery, t: number): number {
  return q.stepMicros === undefined ? q.from : Math.floor(t / q.stepMicros) * q.stepMicros;
}

/** End of the bucket starting at `start`. */
export function bucketEnd(q: NormalizedQuery, start: number): number {
  return q.stepMicros === undefined ? q.to : start + q.stepMicros;
}

/** A glob pattern (`*`, `?`) as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

// What the archive bench measures, as data: each scenario is a fleet of gauges and the queries asked
// of it, in iotpipe's query language and as the MetricsQL that asks VictoriaMetrics the same thing.
import type { Query, QueryResult } from "../../src/query/query.js";
import type { PromAnswer } from "../peers/victoria-metrics.js";
import { CHANNEL, endOf, type FleetSpec } from "./dataset.js";

/** How big a run is. */
export type RunSize = "quick" | "default" | "full";

/** One query to VictoriaMetrics; times in seconds (ms resolution). */
export type PeerQuery =
  | { kind: "instant"; promql: string; time: number }
  | { kind: "range"; promql: string; start: number; end: number; step: number };

/** A short, comparable digest of an answer (the same fields for both stores). */
export type Answer = Record<string, number | string | null>;

export interface BenchQuery {
  /** Names the query in the JSON lines. */
  name: string;
  note: string;
  query: Query;
  /** Warm runs after the cold one (the median is reported). */
  repeats: number;
  /** VictoriaMetrics' equivalent: these queries, one after another (their latencies add up). */
  peer: Record<string, PeerQuery>;
  digest(result: QueryResult): Answer;
  peerDigest(answers: Record<string, PromAnswer>): Answer;
}

export interface Scenario {
  fleet: FleetSpec;
  note: string;
  queries: BenchQuery[];
}

const START = Date.UTC(2023, 0, 1) * 1000;
const HOUR_S = 3600;
const METRIC = `${CHANNEL}_value`;

const value = (a: PromAnswer | undefined): number | null => {
  const v = a?.result[0]?.value?.[1];
  return v === undefined ? null : Number(v);
};

/**
 * Instant queries over the whole range: VictoriaMetrics' window (t − w, t] is [from, to) when it is
 * evaluated 1 ms before `to` and w = to − from (timestamps are whole ms).
 */
function wholeRange(fleet: FleetSpec, fn: string): PeerQuery {
  const seconds = fleet.samples * fleet.intervalSeconds;
  const arg = fn === "quantile_over_time" ? "0.95, " : "";
  return { kind: "instant", promql: `${fn}(${arg}${METRIC}{device="d0"}[${seconds}s])`, time: endOf(fleet) / 1e6 - 0.001 };
}

/** Hourly buckets [h, h + 1h): evaluated at each bucket's end, shifted back 1 ms. */
function hourly(fleet: FleetSpec, fn: string): PeerQuery {
  return { kind: "range", promql: `${fn}(${METRIC}[1h] offset 1ms)`, start: fleet.start / 1e6 + HOUR_S, end: endOf(fleet) / 1e6, step: HOUR_S };
}

function deviceYear(size: RunSize): Scenario {
  const samples = size === "quick" ? 7 * 86_400 : 365 * 86_400;
  const fleet: FleetSpec = { name: "device-year", devices: 1, start: START, samples, intervalSeconds: 1, chunkSamples: size === "quick" ? 1 << 16 : 1 << 18 };
  const range = { channel: CHANNEL, devices: ["d0"], from: fleet.start, to: endOf(fleet) };
  const quantile = wholeRange(fleet, "quantile_over_time");
  return {
    fleet,
    note: size === "quick" ? "one 1 Hz gauge, 7 days (--quick)" : "one 1 Hz gauge, one year",
    queries: [
      {
        name: "range-avg-min-max-p95",
        note: "avg, min, max and approximate p95 over the whole range",
        query: { ...range, aggregates: ["avg", "min", "max", "p95"] },
        repeats: size === "quick" ? 3 : 9,
        peer: {
          avg: wholeRange(fleet, "avg_over_time"),
          min: wholeRange(fleet, "min_over_time"),
          max: wholeRange(fleet, "max_over_time"),
          p95: quantile,
        },
        digest: (r) => {
          const row = r.groups[0]?.rows[0];
          return { avg: row?.values.avg ?? null, min: row?.values.min ?? null, max: row?.values.max ?? null, p95: row?.values.p95 ?? null, p95_error_bound: row?.errorBounds?.p95 ?? null };
        },
        peerDigest: (a) => ({ avg: value(a.avg), min: value(a.min), max: value(a.max), p95: value(a.p95) }),
      },
      {
        name: "range-p95-exact",
        note: "full-scan percentile: exact p95 over the whole range",
        query: { ...range, aggregates: ["p95"], percentiles: "exact" },
        repeats: 3,
        peer: { p95: quantile },
        digest: (r) => ({ p95: r.groups[0]?.rows[0]?.values.p95 ?? null }),
        peerDigest: (a) => ({ p95: value(a.p95) }),
      },
    ],
  };
}

function fleetDay(size: RunSize): Scenario {
  const devices = size === "quick" ? 100 : 1000;
  const hours = size === "quick" ? 1 : size === "full" ? 24 : 6;
  const fleet: FleetSpec = { name: "fleet-day", devices, start: START, samples: hours * HOUR_S, intervalSeconds: 1, chunkSamples: size === "quick" ? 600 : 200 };
  return {
    fleet,
    note:
      size === "full"
        ? "1 000 gauges at 1 Hz, one day (--full)"
        : size === "quick"
          ? "100 gauges at 1 Hz, 1 h (--quick)"
          : "1 000 gauges at 1 Hz, 6 h (the full day is --full)",
    queries: [
      {
        name: "hourly-avg-max-by-device",
        note: "hourly rollup (step 1h) of avg and max, one group per device",
        query: { channel: CHANNEL, from: fleet.start, to: endOf(fleet), step: "1h", groupBy: "device", aggregates: ["avg", "max"] },
        repeats: size === "quick" ? 3 : 7,
        peer: { avg: hourly(fleet, "avg_over_time"), max: hourly(fleet, "max_over_time") },
        digest: (r) => {
          let rows = 0;
          let sumAvg = 0;
          let max = -Infinity;
          for (const g of r.groups) {
            for (const row of g.rows) {
              rows++;
              sumAvg += row.values.avg ?? NaN;
              max = Math.max(max, row.values.max ?? NaN);
            }
          }
          const d0 = r.groups.find((g) => g.key.device === "d0")?.rows[0]?.values;
          return { groups: r.groups.length, rows, mean_of_avg: rows ? sumAvg / rows : null, max_of_max: rows ? max : null, d0_first_avg: d0?.avg ?? null, d0_first_max: d0?.max ?? null };
        },
        peerDigest: (a) => {
          let rows = 0;
          let sumAvg = 0;
          let max = -Infinity;
          for (const s of a.avg?.result ?? []) for (const [, v] of s.values ?? []) (rows++, (sumAvg += Number(v)));
          for (const s of a.max?.result ?? []) for (const [, v] of s.values ?? []) max = Math.max(max, Number(v));
          const first = (x: PromAnswer | undefined) => {
            const v = x?.result.find((s) => s.metric.device === "d0")?.values?.[0]?.[1];
            return v === undefined ? null : Number(v);
          };
          return { groups: a.avg?.result.length ?? 0, rows, mean_of_avg: rows ? sumAvg / rows : null, max_of_max: rows ? max : null, d0_first_avg: first(a.avg), d0_first_max: first(a.max) };
        },
      },
    ],
  };
}

/** The scenarios of a run, in order. */
export function scenarios(size: RunSize): Scenario[] {
  return [deviceYear(size), fleetDay(size)];
}

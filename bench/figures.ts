// Turns block costs and pass times into the bench's figures: one row per dataset and compressor
// (aggregate over all blocks, or the mean over series), and the project's target figures.
import type { BlockCost } from "./peers/contender.js";

/** One result line. Field order is the output's. */
export interface Row {
  dataset: string;
  codec: string;
  points: number;
  /** Value stream bits / points, headers excluded; null when the compressor has no value stream. */
  bits_per_value: number | null;
  bits_per_timestamp: number | null;
  /** All stored bytes (headers included) / points. */
  bytes_per_point: number;
  /** Millions of points per second over the whole dataset; null on series-mean rows. */
  encode_mpts_s: number | null;
  decode_mpts_s: number | null;
  cores: number;
  /** "all_blocks": Σ bits / Σ points over the dataset; "series_mean": mean over series of each series' bits per point. */
  aggregate: "all_blocks" | "series_mean";
  /** Blocks per value codec, for iotpipe's own choice; null otherwise. */
  value_codecs: Record<string, number> | null;
}

/** One target of the project's plan and where this run stands. */
export interface TargetFigure {
  figure: string;
  value: number | null;
  unit: string;
  goal: number;
  /** Whether the goal is met; null when the run did not include the data it needs. */
  met: boolean | null;
  cores: number;
}

const round = (x: number | null, digits: number): number | null => (x === null ? null : Number(x.toFixed(digits)));
/** Speeds to three significant digits: brotli's 0.0412 and iotpipe's 251 both keep their meaning. */
const speed = (points: number, seconds: number): number => Number((points / seconds / 1e6).toPrecision(3));

function perPoint(costs: readonly BlockCost[], pick: (c: BlockCost) => number | null): number | null {
  let total = 0;
  let points = 0;
  for (const c of costs) {
    const v = pick(c);
    if (v === null) return null;
    total += v;
    points += c.points;
  }
  return points === 0 ? null : total / points;
}

export interface RowInput {
  dataset: string;
  codec: string;
  costs: readonly BlockCost[];
  encodeSeconds: number;
  decodeSeconds: number;
  valueCodecs: Record<string, number> | null;
  cores: number;
}

export function pointsOf(costs: readonly BlockCost[]): number {
  return costs.reduce((n, c) => n + c.points, 0);
}

/** The dataset's aggregate: every block's bits over every point. */
export function aggregateRow(input: RowInput): Row {
  const points = pointsOf(input.costs);
  return {
    dataset: input.dataset,
    codec: input.codec,
    points,
    bits_per_value: round(perPoint(input.costs, (c) => c.valueBits), 3),
    bits_per_timestamp: round(perPoint(input.costs, (c) => c.timestampBits), 3),
    bytes_per_point: round(perPoint(input.costs, (c) => c.bytes), 4)!,
    encode_mpts_s: speed(points, input.encodeSeconds),
    decode_mpts_s: speed(points, input.decodeSeconds),
    cores: input.cores,
    aggregate: "all_blocks",
    value_codecs: input.valueCodecs,
  };
}

/** Each series' bits per point (over its blocks), averaged over series: every series weighs the same. */
export function seriesMeanRow(input: RowInput): Row {
  const bySeries = new Map<number, BlockCost[]>();
  for (const c of input.costs) {
    const list = bySeries.get(c.series);
    if (list) list.push(c);
    else bySeries.set(c.series, [c]);
  }
  const mean = (pick: (c: BlockCost) => number | null): number | null => {
    let sum = 0;
    for (const costs of bySeries.values()) {
      const v = perPoint(costs, pick);
      if (v === null) return null;
      sum += v;
    }
    return bySeries.size === 0 ? null : sum / bySeries.size;
  };
  return {
    ...aggregateRow(input),
    bits_per_value: round(mean((c) => c.valueBits), 3),
    bits_per_timestamp: round(mean((c) => c.timestampBits), 3),
    bytes_per_point: round(mean((c) => c.bytes), 4)!,
    encode_mpts_s: null,
    decode_mpts_s: null,
    aggregate: "series_mean",
  };
}

/** What the targets need from a run: iotpipe's rows, and its points and seconds over every dataset. */
export interface TargetInput {
  rows: readonly Row[];
  iotpipePoints: number;
  iotpipeEncodeSeconds: number;
  iotpipeDecodeSeconds: number;
  cores: number;
}

/** The plan's codec targets: NAB real bits (mean over series), gauge-2dp bytes/point, throughput. */
export function targetFigures(input: TargetInput): TargetFigure[] {
  const find = (dataset: string, aggregate: Row["aggregate"]) =>
    input.rows.find((r) => r.codec === "iotpipe" && r.dataset === dataset && r.aggregate === aggregate);
  const nab = find("nab-real", "series_mean");
  const gauge = find("gauge-2dp", "all_blocks");
  const ran = input.iotpipePoints > 0;
  const atMost = (figure: string, value: number | null | undefined, unit: string, goal: number): TargetFigure => ({
    figure, value: value ?? null, unit, goal, met: value == null ? null : value <= goal, cores: input.cores,
  });
  const atLeast = (figure: string, value: number | null, goal: number): TargetFigure => ({
    figure, value, unit: "Mpts/s", goal, met: value === null ? null : value >= goal, cores: input.cores,
  });
  return [
    atMost("nab_real_value_bits_mean", nab?.bits_per_value, "bits/value", 20.0),
    atMost("nab_real_timestamp_bits_mean", nab?.bits_per_timestamp, "bits/timestamp", 1.0),
    atMost("gauge_2dp_bytes_per_point", gauge?.bytes_per_point, "bytes/point", 0.4),
    atLeast("encode_mpts_s", ran ? speed(input.iotpipePoints, input.iotpipeEncodeSeconds) : null, 50),
    atLeast("decode_mpts_s", ran ? speed(input.iotpipePoints, input.iotpipeDecodeSeconds) : null, 200),
  ];
}

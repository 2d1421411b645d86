// Answers a query from series inputs. Per series, blocks overlapping another block (late data,
// replays) are decoded and merged last-write-wins; a block alone, wholly inside the range and one
// step bucket, all finite, under one channel version, is answered from its header; the rest are
// decoded and only their points in range count. A dry run counts the same decisions without reading.
import type { Codec } from "../codec/index.js";
import { Accumulator, type AccumulatorState } from "./accumulator.js";
import { sortLastWriteWins, concatPoints, type Points } from "./merge.js";
import { bucketStart, bucketEnd, type NormalizedQuery, type QueryGroup, type QueryPlan, type VersionBoundary } from "./query.js";
import type { BlockSource, SeriesInput, SeriesVersion } from "./source.js";
import { conversion, IDENTITY, type Conversion } from "./units.js";

type ExecutionPlan = Pick<QueryPlan, "series" | "blocksInRange" | "blocksFromHeaders" | "blocksDecoded" | "pointsDecoded" | "memoryPoints">;

/** One group's buckets before finishing: mergeable with other partitions' parts. */
export interface PartialGroup {
  id: string;
  key: Record<string, string>;
  series: number;
  buckets: [start: number, state: AccumulatorState][];
}

/** What one archive (partition) contributes to a query; plain data, so it can cross threads. */
export interface PartialExecution {
  groups: PartialGroup[];
  unit?: string;
  versions: VersionBoundary[];
  warnings: string[];
  plan: ExecutionPlan;
}

export interface Execution {
  groups: QueryGroup[];
  unit?: string;
  versions: VersionBoundary[];
  warnings: string[];
  plan: ExecutionPlan;
}

/** Blocks whose time ranges overlap, with the unsealed points that fall inside their span. */
interface Cluster {
  blocks: BlockSource[];
  memory: Points | undefined;
}

/** Index of the first element of sorted `ts` that is ≥ t. */
function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Groups blocks into runs of overlapping time ranges and gives each run the unsealed points inside
 * its span (they may overwrite its points). Unsealed points outside every run come back apart: they
 * meet no block, so they are merged only among themselves.
 */
function clusters(blocks: BlockSource[], memory: Points): { clusters: Cluster[]; loose: Points } {
  const sorted = [...blocks].sort((a, b) => a.summary.tMin - b.summary.tMin);
  const out: (Cluster & { lo: number; hi: number })[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && b.summary.tMin <= last.hi) {
      last.blocks.push(b);
      last.hi = Math.max(last.hi, b.summary.tMax);
    } else {
      out.push({ blocks: [b], memory: undefined, lo: b.summary.tMin, hi: b.summary.tMax });
    }
  }
  if (memory.timestamps.length === 0) return { clusters: out, loose: memory };
  // Stable sort by time keeps arrival order among equal timestamps (the last write wins later).
  const order = Array.from(memory.timestamps.keys()).sort((i, j) => memory.timestamps[i] - memory.timestamps[j] || i - j);
  const ts = Float64Array.from(order, (i) => memory.timestamps[i]);
  const vs = Float64Array.from(order, (i) => memory.values[i]);
  const taken = new Uint8Array(ts.length);
  for (const c of out) {
    const from = lowerBound(ts, c.lo);
    const to = lowerBound(ts, c.hi + 1);
    if (to > from) {
      c.memory = { timestamps: ts.subarray(from, to), values: vs.subarray(from, to) };
      taken.fill(1, from, to);
    }
  }
  const keep = Array.from(taken.keys()).filter((i) => !taken[i]);
  return { clusters: out, loose: { timestamps: Float64Array.from(keep, (i) => ts[i]), values: Float64Array.from(keep, (i) => vs[i]) } };
}

/** Index of the version in force at `t` (versions oldest first), or -1 before the first. */
function versionIndex(versions: readonly SeriesVersion[], t: number): number {
  let found = -1;
  for (let i = 0; i < versions.length && versions[i].since <= t; i++) found = i;
  return found;
}

/** The version in force at `t`, or undefined before the first. */
function versionAt(versions: readonly SeriesVersion[], t: number): SeriesVersion | undefined {
  const i = versionIndex(versions, t);
  return i < 0 ? undefined : versions[i];
}

export async function executePartial(q: NormalizedQuery, inputs: readonly SeriesInput[], codec: Codec, dryRun: boolean): Promise<PartialExecution> {
  const plan = { series: inputs.length, blocksInRange: 0, blocksFromHeaders: 0, blocksDecoded: 0, pointsDecoded: 0, memoryPoints: 0 };
  const warnings: string[] = [];
  const versions: VersionBoundary[] = [];
  const unit = q.unit ?? inputs.map((s) => s.versions[s.versions.length - 1]?.unit).find((u) => u !== undefined);
  const keepPoints = q.quantiles.length > 0;
  const exact = q.percentiles === "exact" && q.quantiles.length > 0;
  const groups = new Map<string, { key: Record<string, string>; series: number; buckets: Map<number, Accumulator> }>();

  for (const s of inputs) {
    const conversions = new Map<SeriesVersion | undefined, Conversion | undefined>();
    const convert = (v: SeriesVersion | undefined) => {
      if (!conversions.has(v)) conversions.set(v, unit === undefined ? IDENTITY : conversion(v?.unit ?? unit, unit));
      return conversions.get(v);
    };
    for (let i = 0; i < s.versions.length; i++) {
      const v = s.versions[i];
      const next = s.versions[i + 1];
      if (v.since < q.to && (next === undefined || next.since > q.from)) {
        versions.push({ device: s.device, channel: s.channel, version: v.version, since: v.since, unit: v.unit, valueType: v.valueType });
        if (convert(v) === undefined) warnings.push(`${s.device}/${s.channel} version ${v.version} is in ${v.unit}, which does not convert to ${unit}: left out`);
      }
    }
    const groupId = JSON.stringify(s.group);
    let group = groups.get(groupId);
    if (!group) groups.set(groupId, (group = { key: s.group, series: 0, buckets: new Map() }));
    group.series++;
    const bucketFor = (t: number) => {
      const start = bucketStart(q, t);
      let acc = group!.buckets.get(start);
      if (!acc) group!.buckets.set(start, (acc = new Accumulator(keepPoints)));
      return acc;
    };
    const addPoints = (points: Points) => {
      // Sorted points: the bucket and the channel version change rarely, so both are looked up only
      // when a point leaves the current one.
      let acc: Accumulator | undefined;
      let bucketEnds = -Infinity;
      let c: Conversion | undefined;
      let versionFrom = Infinity;
      let versionUntil = -Infinity;
      const { timestamps, values } = points;
      for (let i = 0; i < timestamps.length; i++) {
        const t = timestamps[i];
        if (t < q.from || t >= q.to) continue;
        if (t < versionFrom || t >= versionUntil) {
          const at = versionIndex(s.versions, t);
          c = convert(at < 0 ? undefined : s.versions[at]);
          versionFrom = at < 0 ? -Infinity : s.versions[at].since;
          versionUntil = at + 1 < s.versions.length ? s.versions[at + 1].since : Infinity;
        }
        if (!c) continue;
        if (acc === undefined || t >= bucketEnds || t < bucketEnds - (q.stepMicros ?? Infinity)) {
          acc = bucketFor(t);
          bucketEnds = bucketEnd(q, bucketStart(q, t));
        }
        acc.addPoint(t, c.scale * values[i] + c.offset);
      }
    };

    const inRange = s.blocks.filter((b) => b.summary.tMax >= q.from && b.summary.tMin < q.to);
    plan.blocksInRange += inRange.length;
    plan.memoryPoints += s.memory.timestamps.length;
    const { clusters: runs, loose } = clusters(inRange, s.memory);
    for (const cluster of runs) {
      if (cluster.blocks.length === 1 && !cluster.memory) {
        const b = cluster.blocks[0];
        const sm = b.summary;
        const version = versionAt(s.versions, sm.tMin);
        const whole =
          sm.tMin >= q.from &&
          sm.tMax < q.to &&
          bucketStart(q, sm.tMin) === bucketStart(q, sm.tMax) &&
          sm.finiteCount === sm.count &&
          !exact &&
          (!keepPoints || sm.sketch !== null) &&
          version === versionAt(s.versions, sm.tMax);
        if (whole) {
          plan.blocksFromHeaders++;
          const c = convert(version);
          if (c) bucketFor(sm.tMin).addSummary(sm, c);
          continue;
        }
      }
      plan.blocksDecoded += cluster.blocks.length;
      if (dryRun) continue;
      const parts: Points[] = [];
      for (const b of [...cluster.blocks].sort((x, y) => x.sequence - y.sequence)) {
        const decoded = await b.decode(codec);
        plan.pointsDecoded += decoded.timestamps.length;
        parts.push(decoded);
      }
      if (cluster.memory) parts.push(cluster.memory);
      addPoints(parts.length === 1 ? parts[0] : sortLastWriteWins(concatPoints(parts)));
    }
    if (!dryRun && loose.timestamps.length > 0) addPoints(sortLastWriteWins(loose));
  }

  const partial: PartialGroup[] = [...groups.entries()].map(([id, g]) => ({
    id,
    key: g.key,
    series: g.series,
    buckets: [...g.buckets.entries()].map(([start, acc]) => [start, acc.state()]),
  }));
  return { groups: partial, unit, versions, warnings, plan };
}

/** Merges the parts of several archives (or one) into the query's answer. */
export function finish(q: NormalizedQuery, parts: readonly PartialExecution[]): Execution {
  const keepPoints = q.quantiles.length > 0;
  const groups = new Map<string, { key: Record<string, string>; series: number; buckets: Map<number, Accumulator> }>();
  const plan: ExecutionPlan = { series: 0, blocksInRange: 0, blocksFromHeaders: 0, blocksDecoded: 0, pointsDecoded: 0, memoryPoints: 0 };
  const warnings: string[] = [];
  const units = new Set<string>();
  for (const part of parts) {
    for (const k of Object.keys(plan) as (keyof ExecutionPlan)[]) plan[k] += part.plan[k];
    warnings.push(...part.warnings);
    if (part.unit !== undefined) units.add(part.unit);
    for (const pg of part.groups) {
      let g = groups.get(pg.id);
      if (!g) groups.set(pg.id, (g = { key: pg.key, series: 0, buckets: new Map() }));
      g.series += pg.series;
      for (const [start, state] of pg.buckets) {
        let acc = g.buckets.get(start);
        if (!acc) g.buckets.set(start, (acc = new Accumulator(keepPoints)));
        acc.merge(state);
      }
    }
  }
  if (units.size > 1) warnings.push(`partitions answered in different units (${[...units].join(", ")}): name a unit in the query`);
  const out: QueryGroup[] = [];
  for (const g of groups.values()) {
    const rows = [...g.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .filter(([, acc]) => acc.count > 0)
      .map(([start, acc]) => ({ start, end: bucketEnd(q, start), ...acc.result(q) }));
    out.push({ key: g.key, series: g.series, rows });
  }
  return { groups: out, unit: [...units][0], versions: parts.flatMap((p) => p.versions), warnings, plan };
}

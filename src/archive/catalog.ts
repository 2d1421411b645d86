// Segment indexes, loaded once per segment and kept by series, and the query inputs built from them,
// from sealed blocks still in memory, and from head points.
import { join } from "node:path";
import { readSegmentIndex } from "./segment-read.js";
import { ArchiveError } from "./errors.js";
import { CodecError } from "../codec/index.js";
import { summaryOfVouchedHeader } from "../codec/summary.js";
import { splitSeriesKey, bucketOf } from "./series-key.js";
import type { SegmentEntry } from "./manifest.js";
import type { ArchiveState, CatalogBlock, SealedBlock } from "./state.js";
import type { NormalizedQuery } from "../query/query.js";
import { globToRegExp } from "../query/query.js";
import type { BlockSource, SeriesInput } from "../query/source.js";
import type { SourcePlan } from "../query/finish.js";

/** The index of a segment, by series (cached). The index's CRC covers the block headers it copies. */
export function segmentIndex(state: ArchiveState, file: string): Promise<Map<string, CatalogBlock[]>> {
  let loaded = state.catalog.get(file);
  if (!loaded) {
    loaded = readSegmentIndex(join(state.dir, file)).then((blocks) => {
      const bySeries = new Map<string, CatalogBlock[]>();
      for (const b of blocks) {
        const entry: CatalogBlock = Object.assign(b, { summary: summaryOfVouchedHeader(b.header, b.length) });
        const list = bySeries.get(b.key);
        if (list) list.push(entry);
        else bySeries.set(b.key, [entry]);
      }
      return bySeries;
    });
    loaded.catch(() => state.catalog.delete(file));
    state.catalog.set(file, loaded);
  }
  return loaded;
}

/** A selected series: key, names, and the device's tags. */
export interface SelectedSeries {
  key: string;
  device: string;
  channel: string;
  tags: Record<string, string>;
}

/** The series a query selects, from the registry. */
export function selectSeries(state: ArchiveState, q: NormalizedQuery): SelectedSeries[] {
  const pattern = typeof q.devices === "string" ? globToRegExp(q.devices) : undefined;
  const list = Array.isArray(q.devices) ? new Set(q.devices) : undefined;
  const out: SelectedSeries[] = [];
  for (const d of state.registry.devices()) {
    if (!d.channels[q.channel]) continue;
    if (pattern && !pattern.test(d.id)) continue;
    if (list && !list.has(d.id)) continue;
    if (q.tags && Object.entries(q.tags).some(([k, v]) => d.tags[k] !== v)) continue;
    out.push({ key: `${d.id}\u0000${q.channel}`, device: d.id, channel: q.channel, tags: d.tags });
  }
  return out;
}

function groupKey(q: NormalizedQuery, s: SelectedSeries): Record<string, string> {
  const by = q.groupBy ?? "none";
  if (by === "none") return {};
  if (by === "device") return { device: s.device };
  if (by === "series") return { device: s.device, channel: s.channel };
  return { [by]: s.tags[by] ?? "" };
}


function memoryBlock(b: SealedBlock): BlockSource {
  return { summary: b.summary, sequence: b.sequence, read: async () => b.block, decode: async (codec) => codec.decode(b.block) };
}

/** A block in a segment file: a block failing its checksums is reported as the file's corruption. */
function storedBlock(state: ArchiveState, file: string, b: CatalogBlock): BlockSource {
  const read = () => state.files.read(file, b.offset, b.length);
  return {
    summary: b.summary,
    sequence: b.sequence,
    read,
    decode: async (codec) => {
      const bytes = await read();
      try {
        return codec.decode(bytes);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        throw new ArchiveError("CORRUPT_SEGMENT", `${file}: block at ${b.offset} (+${b.length}): ${err.message}; verify({ quarantine: true }) sets it aside`, file, { cause: err });
      }
    },
  };
}

/** Builds the query engine's inputs: prunes partitions by time window and series bucket first. */
export async function buildInputs(state: ArchiveState, q: NormalizedQuery): Promise<{ inputs: SeriesInput[]; plan: SourcePlan }> {
  const selected = selectSeries(state, q);
  const layout = state.manifest.layout;
  const buckets = new Set(selected.map((s) => bucketOf(s.key, layout.buckets)));
  const inRange = state.manifest.segments.filter((s) => s.windowEnd > q.from && s.windowStart < q.to);
  const open = inRange.filter((s) => buckets.has(s.bucket) && s.maxTime >= q.from && s.minTime < q.to);
  const quarantined = new Set(state.manifest.quarantine.map((b) => `${b.file}@${b.offset}`));
  // Everything not in a segment yet is taken now, with the segment list, before any await: a
  // checkpoint committing meanwhile moves points from memory into segments this query does not see.
  const sealed = state.inflight.concat(state.pending);
  const heads = new Map(selected.map((s) => [s.key, state.heads.get(s.key)?.pointsIn(q.from, q.to, state.detached.get(s.key))]));
  const indexes = await Promise.all(open.map((s) => segmentIndex(state, s.file).then((index) => [s, index] as const)));
  const plan: SourcePlan = {
    partitionsInRange: new Set(inRange.map((s) => `${s.window}/${s.bucket}`)).size,
    partitionsOpened: new Set(open.map((s) => `${s.window}/${s.bucket}`)).size,
    segmentsRead: open.length,
    quarantinedSkipped: 0,
  };
  const memory = new Map<string, SealedBlock[]>();
  for (const b of sealed) {
    const list = memory.get(b.key);
    if (list) list.push(b);
    else memory.set(b.key, [b]);
  }
  const inputs: SeriesInput[] = selected.map((s) => {
    const blocks: BlockSource[] = [];
    for (const [segment, index] of indexes as (readonly [SegmentEntry, Map<string, CatalogBlock[]>])[]) {
      for (const b of index.get(s.key) ?? []) {
        if (b.summary.tMax < q.from || b.summary.tMin >= q.to) continue;
        if (quarantined.size > 0 && quarantined.has(`${segment.file}@${b.offset}`)) {
          plan.quarantinedSkipped++;
          continue;
        }
        blocks.push((b.source ??= storedBlock(state, join(state.dir, segment.file), b)));
      }
    }
    for (const b of memory.get(s.key) ?? []) blocks.push(memoryBlock(b));
    const points = heads.get(s.key);
    const { device, channel } = splitSeriesKey(s.key);
    return {
      device,
      channel,
      group: groupKey(q, s),
      versions: state.registry.versions(device, channel),
      blocks,
      memory: points ?? { timestamps: new Float64Array(0), values: new Float64Array(0) },
    };
  });
  return { inputs, plan };
}

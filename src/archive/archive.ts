// The archive's public face: open, append (durable on resolve), query, explain, checkpoint, close,
// and the maintenance jobs. State and the steps that change it live in the sibling modules.
import type { RecordBatch, Table } from "apache-arrow";
import { createCodec, type Codec } from "../codec/index.js";
import { splitBySeries, columnsFromArrow, type ReadingColumns } from "./batch.js";
import { encodeWalRecord } from "./wal-record.js";
import { MAX_WAL_RECORD } from "./wal.js";
import { applyEdgeBlocks, applyRuns } from "./ingest.js";
import { separateEdgeBlocks } from "./edge-blocks.js";
import { checkpoint } from "./checkpoint.js";
import { openManifest, removeOrphans, replay } from "./recovery.js";
import { buildInputs } from "./catalog.js";
import { Registry, type ChannelVersion, type ValueType } from "./registry.js";
import { ArchiveState, type ArchiveStats } from "./state.js";
import { checkLayout, type Layout, type PartitionWindow } from "./layout.js";
import { ArchiveError } from "./errors.js";
import { normalizeQuery, type Query, type QueryResult, type QueryPlan, type Aggregate } from "../query/query.js";
import { executePartial } from "../query/execute.js";
import { finishQuery, type QueryPart } from "../query/finish.js";
import { rawPoints, type SeriesPoints } from "../query/raw.js";
import { pointsTable, toArrowIPC, toParquet } from "./export.js";
import { compact, type CompactionReport } from "./maintenance/compact.js";
import { dropBefore, type RetentionReport } from "./maintenance/retention.js";
import { verify, type IntegrityReport } from "./maintenance/verify.js";
import { rebuildIndex, type RebuildReport } from "./maintenance/rebuild-index.js";

/** How an archive is laid out and behaves. Layout fields are fixed when the archive is created. */
export interface ArchiveOptions {
  /** Partition time window (default "day"). */
  partitionWindow?: PartitionWindow;
  /** Series-hash buckets per window (default 16). */
  buckets?: number;
  /** Blocks never span a multiple of this, in µs (default one hour: hourly rollups come from headers). */
  blockWindow?: number;
  /** Most points per block (default 8192). */
  blockPoints?: number;
  /** Points older than a series' newest minus this (µs) are late (default 5 minutes). */
  lateness?: number;
  /** Checkpoint once the WAL holds this many bytes (default 64 MiB). */
  checkpointBytes?: number;
  /** Checkpoint once sealed blocks waiting in memory reach this many bytes (default 64 MiB). */
  pendingBytes?: number;
  /** A codec to share (default: a new one). */
  codec?: Codec;
}

/** What append() did. */
export interface AppendResult {
  points: number;
  /** Points that arrived later than the allowed lateness (stored in late blocks, still queryable). */
  late: number;
  /**
   * How long the WAL fsync that made these points durable took (ms; it started after their record was
   * written, and covered every record written before it). 0 when there was nothing to write.
   */
  syncMs: number;
}

function isArrowBatch(b: unknown): b is RecordBatch {
  return typeof (b as RecordBatch)?.getChild === "function" && typeof (b as RecordBatch)?.numRows === "number";
}

/** A durable, partitioned store of sensor series that answers aggregates mostly from block headers. */
export class Archive {
  readonly #state: ArchiveState;

  private constructor(state: ArchiveState) {
    this.#state = state;
  }

  /** Opens (or creates) the archive in `dir`: replays the WAL and loads the manifest. */
  static async open(dir: string, options: ArchiveOptions = {}): Promise<Archive> {
    const explicit: Partial<Layout> = {
      partitionWindow: options.partitionWindow,
      buckets: options.buckets,
      blockWindow: options.blockWindow,
      blockPoints: options.blockPoints,
    };
    const layout: Layout = {
      partitionWindow: options.partitionWindow ?? "day",
      buckets: options.buckets ?? 16,
      blockWindow: options.blockWindow ?? 3_600_000_000,
      blockPoints: options.blockPoints ?? 8192,
    };
    const problem = checkLayout(layout);
    if (problem) throw new ArchiveError("LAYOUT_MISMATCH", problem);
    const manifest = await openManifest(dir, layout, explicit);
    await removeOrphans(dir, manifest);
    const registry = await Registry.load(dir);
    const codec = options.codec ?? (await createCodec());
    const policy = { blockWindow: manifest.layout.blockWindow, blockPoints: manifest.layout.blockPoints, lateness: options.lateness ?? 300_000_000 };
    const state = new ArchiveState(dir, codec, manifest, registry, policy, options.checkpointBytes ?? 64 << 20, options.pendingBytes ?? 64 << 20);
    await replay(state);
    return new Archive(state);
  }

  /** The device registry: tags and channel versions (units, value types). Read it; change it with define*. */
  get registry(): Registry {
    return this.#state.registry;
  }

  /** Sets a device's tags (zone, type, …) and saves the registry. */
  async defineDevice(id: string, tags: Record<string, string>): Promise<void> {
    const state = this.#live();
    state.registry.defineDevice(id, tags);
    await state.registry.save();
  }

  /**
   * Records a channel's unit and value type from `since` (µs): a change (a firmware update) adds a
   * version; stored points are never rewritten and queries convert across versions. Saves the registry.
   */
  async defineChannel(device: string, channel: string, spec: { unit?: string; valueType?: ValueType; since?: number }): Promise<ChannelVersion> {
    const state = this.#live();
    const version = state.registry.defineChannel(device, channel, spec);
    await state.registry.save();
    return version;
  }

  /** The archive's layout, as recorded when it was created. */
  get layout(): Layout {
    return this.#state.manifest.layout;
  }

  /** Counters for monitoring. */
  get stats(): Readonly<ArchiveStats> {
    return this.#state.stats;
  }

  /**
   * Appends readings (columns, or an Arrow RecordBatch with device, channel, ts, value). Resolves once
   * they are in the WAL on disk; queries see them at once.
   */
  async append(batch: ReadingColumns | RecordBatch): Promise<AppendResult> {
    const state = this.#live();
    const { blocks, loose } = separateEdgeBlocks(state.codec, isArrowBatch(batch) ? columnsFromArrow(batch) : batch);
    const split = splitBySeries(loose);
    if (split.series.length === 0 && blocks.length === 0) return { points: 0, late: 0, syncMs: 0 };
    const record = encodeWalRecord(state.codec, split, blocks, state.wal.names);
    if (record.payload.length > MAX_WAL_RECORD) {
      throw new ArchiveError("BAD_BATCH", `batch encodes to ${record.payload.length} bytes, over the ${MAX_WAL_RECORD}-byte limit: split it`);
    }
    const durable = state.wal.append(record);
    const fromBlocks = applyEdgeBlocks(state, blocks);
    const fromRuns = applyRuns(state, split);
    const points = fromBlocks.points + fromRuns.points;
    const late = fromBlocks.late + fromRuns.late;
    state.stats.batchesAppended++;
    if (this.#checkpointDue()) this.#checkpointInBackground();
    return { points, late, syncMs: await durable };
  }

  /** Aggregates over a channel of the selected devices. */
  async query(query: Query): Promise<QueryResult> {
    return this.#run(query, false);
  }

  /** How `query` would be answered: partitions pruned, blocks answered from headers, blocks decoded. */
  async explain(query: Query): Promise<QueryPlan> {
    return (await this.#run(query, true)).plan;
  }

  /** Moves everything in memory into segments and retires the WAL that covered it. */
  async checkpoint(): Promise<void> {
    const state = this.#live();
    await state.exclusively(() => checkpoint(state));
  }

  /** Checkpoints and closes; the archive cannot be used afterwards. */
  async close(): Promise<void> {
    const state = this.#state;
    if (state.closed) return;
    await state.exclusively(() => checkpoint(state));
    state.closed = true;
    state.releaseHeads();
    await state.wal.close();
    await state.files.closeAll();
  }

  /**
   * Stops using the archive without a checkpoint: for a worker that lost the lease on it, whose new
   * owner replays the WAL. Appends already acknowledged stay durable in the WAL.
   */
  async abandon(): Promise<void> {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    state.releaseHeads();
    await state.wal.close();
    await state.files.closeAll();
  }

  /** Merges each partition's segments into one, resolving late and overlapping blocks. */
  async compact(): Promise<CompactionReport> {
    const state = this.#live();
    return state.exclusively(() => compact(state));
  }

  /** Retention: drops every partition whose window ends at or before `before` (µs). */
  async dropBefore(before: number): Promise<RetentionReport> {
    const state = this.#live();
    return state.exclusively(() => dropBefore(state, before));
  }

  /** Integrity check of every block; with `quarantine`, bad blocks are set aside (queries skip them and warn). */
  async verify(options: { quarantine?: boolean } = {}): Promise<IntegrityReport> {
    const state = this.#live();
    return state.exclusively(() => verify(state, options.quarantine ?? false));
  }

  /** Rebuilds the index of segment `file` (a path relative to the archive, as verify() reports it). */
  async rebuildIndex(file: string): Promise<RebuildReport> {
    const state = this.#live();
    return state.exclusively(() => rebuildIndex(state, file));
  }

  /**
   * Materialises rollups: for each selected device, the channel's per-step aggregates are stored as
   * derived channels named `<channel>@<step>.<aggregate>` (e.g. `temp@1h.avg`), one point per bucket
   * at the bucket's start. Re-running overwrites (last write wins). Returns the points written.
   */
  async rollup(spec: Omit<Query, "aggregates" | "groupBy" | "percentiles"> & { step: "1m" | "1h" | "1d"; aggregates?: Aggregate[] }): Promise<number> {
    const aggregates = spec.aggregates ?? ["count", "min", "max", "avg", "sum"];
    const result = await this.query({ ...spec, aggregates, groupBy: "device" });
    const devices: string[] = [];
    const channels = aggregates.map((a) => `${spec.channel}@${spec.step}.${a}`);
    const rows: { d: number; c: number; t: number; v: number }[] = [];
    for (const g of result.groups) {
      const d = devices.push(g.key.device) - 1;
      for (const row of g.rows) {
        aggregates.forEach((a, c) => {
          const v = row.values[a];
          if (v !== null && v !== undefined) rows.push({ d, c, t: row.start, v });
        });
      }
    }
    if (rows.length === 0) return 0;
    await this.append({
      devices,
      channels,
      device: Uint32Array.from(rows, (r) => r.d),
      channel: Uint32Array.from(rows, (r) => r.c),
      timestamps: Float64Array.from(rows, (r) => r.t),
      values: Float64Array.from(rows, (r) => r.v),
    });
    return rows.length;
  }

  /** The selected series' points in [from, to) as an Arrow table (device, channel, ts: timestamp[us], value). */
  async exportTable(selection: Omit<Query, "aggregates" | "step" | "groupBy" | "percentiles" | "unit">): Promise<Table> {
    const state = this.#live();
    const q = normalizeQuery({ ...selection, aggregates: ["count"] });
    if (typeof q === "string") throw new ArchiveError("BAD_QUERY", q);
    const { inputs } = await buildInputs(state, q);
    const series: SeriesPoints[] = [];
    for await (const s of rawPoints(inputs, state.codec, q.from, q.to)) series.push(s);
    return pointsTable(series);
  }

  /** Export as Arrow IPC stream bytes. */
  async exportArrow(selection: Omit<Query, "aggregates" | "step" | "groupBy" | "percentiles" | "unit">): Promise<Uint8Array> {
    return toArrowIPC(await this.exportTable(selection));
  }

  /** Export as Parquet bytes (zstd), readable by DuckDB, Spark and pandas. */
  async exportParquet(selection: Omit<Query, "aggregates" | "step" | "groupBy" | "percentiles" | "unit">): Promise<Uint8Array> {
    return toParquet(await this.exportTable(selection));
  }

  /** The WAL or the sealed blocks waiting in memory have reached their limit. */
  #checkpointDue(): boolean {
    const state = this.#state;
    return state.wal.size >= state.checkpointBytes || state.pendingBytes >= state.pendingLimit;
  }

  #checkpointInBackground(): void {
    const state = this.#state;
    if (state.checkpointQueued) return;
    state.checkpointQueued = true;
    state
      .exclusively(() => {
        state.checkpointQueued = false;
        // Appends made while an earlier checkpoint was on its way to switching WAL files queued this
        // one; once that switch is done it is usually not due any more.
        return state.closed || !this.#checkpointDue() ? Promise.resolve() : checkpoint(state);
      })
      .catch((err: Error) => {
        state.stats.lastBackgroundError = err.message;
      });
  }

  /**
   * This archive's mergeable part of a query (plain data, so it can cross threads): a coordinator
   * holding several archives (one per partition) merges the parts with `finishQuery`.
   */
  async queryPart(query: Query, dryRun = false): Promise<QueryPart> {
    const state = this.#live();
    const q = normalizeQuery(query);
    if (typeof q === "string") throw new ArchiveError("BAD_QUERY", q);
    const { inputs, plan: sources } = await buildInputs(state, q);
    const part = await executePartial(q, inputs, state.codec, dryRun);
    if (sources.quarantinedSkipped > 0) part.warnings.push(`${sources.quarantinedSkipped} quarantined block(s) left out (see verify())`);
    return { ...part, sources };
  }

  async #run(query: Query, dryRun: boolean): Promise<QueryResult> {
    return finishQuery(query, [await this.queryPart(query, dryRun)]);
  }

  #live(): ArchiveState {
    if (this.#state.closed) throw new ArchiveError("CLOSED", "the archive is closed");
    return this.#state;
  }
}

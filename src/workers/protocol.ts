// Messages between the pool (main thread) and a worker thread. Plain data: typed arrays are copied
// by structured clone, so the bus keeps its copy for re-delivery if a worker fails; only a frame sent
// to be decoded and the columns decoded from it are transferred (nobody else holds them).
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import type { FrameLimits } from "../ingest/frames/frame.js";
import type { DecodedColumns } from "../ingest/intake.js";
import type { FrameKind } from "../ingest/decode-frame.js";
import type { Precision } from "../ingest/frames/line-values.js";
import type { Query } from "../query/query.js";
import type { QueryPart } from "../query/finish.js";
import type { ArchiveOptions } from "../archive/archive.js";
import type { DeviceHealth, SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";
import type { WindowSpec } from "../analytics/windows/window-spec.js";
import type { WindowResult, ZonePart, ZoneWatermark } from "../analytics/windows/stream-windows.js";

/** What a worker's windows produced, for the pool: results, late counts by window, and zone parts. */
export interface WindowReport {
  results: WindowResult[];
  late: Record<string, number>;
  zoneParts: ZonePart[];
  zoneWatermarks: ZoneWatermark[];
  /** From a sweep: zoneWatermarks names every zone the worker has devices in. */
  swept: boolean;
}

/** What a worker thread is started with. */
export interface WorkerInit {
  dataDir: string;
  partitions: number[];
  archive: Omit<ArchiveOptions, "codec">;
  /** The codec's compiled module, compiled once by the pool. */
  codecModule: WebAssembly.Module;
  /** The analytics kernels' compiled module, compiled once by the pool; absent: analytics are off. */
  analyticsModule?: WebAssembly.Module;
  /** Nice value the worker thread takes (0: as the process). */
  nice: number;
  /** Partitions in all (to find a device's partition). */
  partitionCount: number;
  /** Event-time window definitions, and their kernel's compiled module (absent: no windows). */
  windows: WindowSpec[];
  windowModule?: WebAssembly.Module;
}

export type ToWorker =
  | { type: "append"; id: number; partition: number; batch: FlaggedColumns }
  /** Zone windows completed on the main thread, to store where their partition is owned. */
  | { type: "zone-windows"; id: number; results: WindowResult[] }
  | { type: "query"; id: number; query: Query; dryRun: boolean }
  | { type: "define"; id: number; partition: number; device: string; tags: Record<string, string> }
  | { type: "checkpoint"; id: number }
  | { type: "health"; id: number; now: number }
  /** What to signal from now on (the alert rules' needs). */
  | { type: "signal-filter"; id: number; filter: SignalFilter }
  | { type: "decode"; id: number; kind: FrameKind; bytes: Uint8Array; precision: Precision; now: number; limits: FrameLimits }
  | { type: "close"; id: number };

export type FromWorker =
  | { type: "ready" }
  /** Unasked: series whose anomaly or health matters to an alert rule. */
  | { type: "signals"; signals: SeriesSignal[] }
  /** Unasked: windows fired, late readings, zone parts. */
  | { type: "windows"; report: WindowReport }
  | { type: "done"; id: number; points?: number; syncMs?: number; parts?: QueryPart[]; decoded?: DecodedColumns; health?: DeviceHealth[]; error?: { code?: string; message: string } };

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
}

export type ToWorker =
  | { type: "append"; id: number; partition: number; batch: FlaggedColumns }
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
  | { type: "done"; id: number; points?: number; parts?: QueryPart[]; decoded?: DecodedColumns; health?: DeviceHealth[]; error?: { code?: string; message: string } };

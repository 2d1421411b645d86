// Messages between the pool (main thread) and a worker thread. Plain data: typed arrays are copied
// by structured clone, so the bus keeps its copy for re-delivery if a worker fails.
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import type { Query } from "../query/query.js";
import type { QueryPart } from "../query/finish.js";
import type { ArchiveOptions } from "../archive/archive.js";

/** What a worker thread is started with. */
export interface WorkerInit {
  dataDir: string;
  partitions: number[];
  archive: Omit<ArchiveOptions, "codec">;
  /** The codec's compiled module, compiled once by the pool. */
  codecModule: WebAssembly.Module;
}

export type ToWorker =
  | { type: "append"; id: number; partition: number; batch: FlaggedColumns }
  | { type: "query"; id: number; query: Query; dryRun: boolean }
  | { type: "define"; id: number; partition: number; device: string; tags: Record<string, string> }
  | { type: "checkpoint"; id: number }
  | { type: "close"; id: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "done"; id: number; points?: number; parts?: QueryPart[]; error?: { code?: string; message: string } };

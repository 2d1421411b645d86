// The worker pool: starts worker threads, gives each a fair share of the partitions, and sends them
// appends, registry changes and queries (gathering every worker's part and merging it).
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileCodecModule } from "../codec/index.js";
import { compileAnalyticsModule } from "../analytics/module.js";
import type { DeviceHealth, SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";
import { finishQuery, type QueryPart } from "../query/finish.js";
import type { Query, QueryResult } from "../query/query.js";
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import type { AppendResult, ArchiveOptions } from "../archive/archive.js";
import type { FromWorker, ToWorker, WorkerInit, WindowReport } from "./protocol.js";
import type { WindowResult } from "../analytics/windows/stream-windows.js";
import type { WindowSpec } from "../analytics/windows/window-spec.js";
import { compileWindowModule } from "../analytics/windows/module.js";
import type { DecodedColumns } from "../ingest/intake.js";
import type { FrameKind } from "../ingest/decode-frame.js";
import type { FrameLimits } from "../ingest/frames/frame.js";
import type { Precision } from "../ingest/frames/line-values.js";
import { settlePartitionCount } from "./partition-count.js";

/** An error a worker reported, with the archive's code when it had one. */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Young generation of each worker thread's heap, MiB: its new space stays at 8 MiB, where V8's default
 * lets it grow to 32. An archive worker's young objects are a batch's columns and runs, dead once the
 * append returns. The ingest bench's idle-connections server held 8.27 KiB of RSS per connection
 * without the cap and 6.59 with it; in two alternating pairs of gateway-binary runs the capped workers
 * spent 0.995 and 0.885 core-seconds per million readings against 1.029 and 0.928.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/** The compiled entry of the worker thread: beside this file in dist/, or dist/ when running from src/. */
function workerEntry(): URL {
  const beside = new URL("./worker-thread.js", import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL("../../dist/workers/worker-thread.js", import.meta.url);
}

type Done = Extract<FromWorker, { type: "done" }>;
type Request = ToWorker extends infer T ? (T extends unknown ? Omit<T, "id"> : never) : never;

class WorkerHandle {
  readonly worker: Worker;
  readonly partitions: number[];
  #next = 1;
  readonly #waiting = new Map<number, (m: Done) => void>();

  constructor(worker: Worker, partitions: number[], onSignals: (signals: SeriesSignal[]) => void, onWindows: (report: WindowReport) => void) {
    this.worker = worker;
    this.partitions = partitions;
    worker.on("message", (m: FromWorker) => {
      if (m.type === "signals") return onSignals(m.signals);
      if (m.type === "windows") return onWindows(m.report);
      if (m.type !== "done") return;
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      w?.(m);
    });
  }

  call(message: Request, transfer: ArrayBuffer[] = []): Promise<Done> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (m) => (m.error ? reject(new WorkerError(m.error.message, m.error.code)) : resolve(m)));
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  failAll(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w({ type: "done", id: 0, error: { message: err.message } });
  }
}

export interface PoolOptions {
  dataDir: string;
  partitions: number;
  workers: number;
  archive?: Omit<ArchiveOptions, "codec">;
  /** Score and judge archived batches (default true). */
  analytics?: boolean;
  /** Nice value of the worker threads (default 0: as the process); see thread-priority.ts. */
  nice?: number;
  /** Receives the workers' signals (see setSignalFilter). */
  onSignals?: (signals: SeriesSignal[]) => void;
  /** Event-time window definitions the workers run on what they archive. */
  windows?: WindowSpec[];
  /** Receives each worker's window report (its index, the report). */
  onWindows?: (worker: number, report: WindowReport) => void;
}

export class WorkerPool {
  readonly #handles: WorkerHandle[];
  readonly #owner: WorkerHandle[];
  #nextDecoder = 0;

  private constructor(handles: WorkerHandle[], partitions: number) {
    this.#handles = handles;
    this.#owner = new Array(partitions);
    for (const h of handles) for (const p of h.partitions) this.#owner[p] = h;
  }

  /** Starts the workers; resolves once every one has opened (and replayed) its archives. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    await settlePartitionCount(options.dataDir, options.partitions);
    const codecModule = await compileCodecModule();
    const analyticsModule = options.analytics === false ? undefined : await compileAnalyticsModule();
    const windows = options.windows ?? [];
    const windowModule = windows.length > 0 ? await compileWindowModule() : undefined;
    const count = Math.min(options.workers, options.partitions);
    const handles: WorkerHandle[] = [];
    for (let w = 0; w < count; w++) {
      const partitions: number[] = [];
      for (let p = w; p < options.partitions; p += count) partitions.push(p);
      const init: WorkerInit = { dataDir: options.dataDir, partitions, archive: options.archive ?? {}, codecModule, analyticsModule, nice: options.nice ?? 0, partitionCount: options.partitions, windows, windowModule };
      const worker = new Worker(workerEntry(), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      await new Promise<void>((resolve, reject) => {
        worker.once("message", (m: FromWorker) => (m.type === "ready" ? resolve() : reject(new Error("BUG: worker spoke before ready"))));
        worker.once("error", reject);
      });
      const index = w;
      const handle = new WorkerHandle(worker, partitions, (signals) => options.onSignals?.(signals), (report) => options.onWindows?.(index, report));
      worker.on("error", (err) => handle.failAll(err));
      handles.push(handle);
    }
    return new WorkerPool(handles, options.partitions);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#handles.length;
  }

  /** Partitions owned by worker `index`. */
  partitionsOf(index: number): readonly number[] {
    return this.#handles[index].partitions;
  }

  /**
   * Appends a batch to `partition`'s archive; resolves once durable with the points stored and how long
   * the WAL fsync that made them durable took (ms). With `own`, nothing else holds the batch's arrays (a
   * batch merged for this append): their memory is handed to the worker (transferred) instead of
   * copied, and the arrays here are left empty.
   */
  async append(partition: number, batch: FlaggedColumns, own = false): Promise<Pick<AppendResult, "points" | "syncMs">> {
    const transfer = own ? ownBuffers(batch) : [];
    const done = await this.#owner[partition].call({ type: "append", partition, batch }, transfer);
    return { points: done.points ?? 0, syncMs: done.syncMs ?? 0 };
  }

  /** Hands completed zone windows to every worker; each stores those of the partitions it owns as derived series. */
  async storeZoneWindows(results: WindowResult[]): Promise<void> {
    await Promise.all(this.#handles.map((h) => h.call({ type: "zone-windows", results })));
  }

  /**
   * Decodes a frame on a worker thread (in turn), off the thread that serves sockets; the frame's
   * memory is handed over (transferred) when nothing else shares it. Throws WorkerError with the
   * FrameError's code for a frame that cannot be read.
   */
  async decode(kind: FrameKind, bytes: Uint8Array, precision: Precision, now: number, limits: FrameLimits): Promise<DecodedColumns> {
    const handle = this.#handles[this.#nextDecoder++ % this.#handles.length];
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const done = await handle.call({ type: "decode", kind, bytes, precision, now, limits }, own ? [bytes.buffer as ArrayBuffer] : []);
    return done.decoded!;
  }

  /** Sets a device's tags in the archive of the partition that holds it. */
  async defineDevice(partition: number, device: string, tags: Record<string, string>): Promise<void> {
    await this.#owner[partition].call({ type: "define", partition, device, tags });
  }

  /** Every device's health, as its worker's analytics see it now, least healthy first. */
  async health(): Promise<DeviceHealth[]> {
    const now = Date.now() * 1000;
    const parts = await Promise.all(this.#handles.map((h) => h.call({ type: "health", now })));
    return parts.flatMap((p) => p.health ?? []).sort((a, b) => a.score - b.score || a.device.localeCompare(b.device));
  }

  /** Tells every worker which series' anomaly and health to signal (to `onSignals`). */
  async setSignalFilter(filter: SignalFilter): Promise<void> {
    await Promise.all(this.#handles.map((h) => h.call({ type: "signal-filter", filter })));
  }

  /** Runs a query on every partition and merges the parts. */
  async query(query: Query, dryRun = false): Promise<QueryResult> {
    const answers = await Promise.all(this.#handles.map((h) => h.call({ type: "query", query, dryRun })));
    const parts: QueryPart[] = answers.flatMap((a) => a.parts ?? []);
    return finishQuery(query, parts);
  }

  async checkpoint(): Promise<void> {
    await Promise.all(this.#handles.map((h) => h.call({ type: "checkpoint" })));
  }

  /** Checkpoints and closes every archive, then stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.#handles.map((h) => h.call({ type: "close" })));
    await Promise.all(this.#handles.map((h) => h.worker.terminate()));
  }
}

/** The buffers of a batch's columns (and edge blocks), each once. */
function ownBuffers(batch: FlaggedColumns): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [batch.device, batch.channel, batch.timestamps, batch.values, batch.flags];
  if (batch.blocks) arrays.push(batch.blocks.rows, batch.blocks.counts, batch.blocks.offsets, batch.blocks.bytes);
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

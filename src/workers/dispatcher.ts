// Embedded mode's consumers: one loop per worker reads its partitions' streams from the bus (lanes in
// priority order: critical first) and hands each entry to the worker as soon as its partition has
// room: at most APPENDS_PER_PARTITION appends in flight per partition, and entries that arrive while
// they run wait and go over merged into one batch of up to MAX_APPEND_READINGS (batching that grows
// with load and costs nothing when idle). Entries are acked once the worker's archive holds them
// durably; entries a worker could not store stay unacked and are retried.
import { idsByStream, laneStreams, type Bus, type BusEntry, type StreamId } from "../pipeline/bus.js";
import { mergeBatches, mergeCount } from "../pipeline/merge-batches.js";
import type { WorkerPool } from "./pool.js";

export const ARCHIVER_GROUP = "archivers";
/** Entries one worker loop holds (waiting or being stored) before it stops reading. */
const MAX_HELD = 256;
/**
 * Appends per partition in flight. One: what arrives while it runs (its fsync included) goes over
 * merged into the next. Two let the worker encode a batch during the previous one's fsync, but split
 * batches that would have merged, and each append costs a WAL record, an fsync and two messages: in
 * three alternating pairs of ingest-bench runs, one gave 8 % more readings/s at full load and a lower
 * ack p99 at 800 k readings/s in every pair.
 */
const APPENDS_PER_PARTITION = 1;
/**
 * Most readings merged into one append (more when one entry alone holds more): merging runs on the
 * thread that reads sockets and evaluates alert rules, and a backlog merged whole held it for tens of
 * milliseconds.
 */
const MAX_APPEND_READINGS = 1 << 16;

export interface DispatcherStats {
  /** Appends made; batches ÷ appends is how many bus entries an append merged. */
  appends: number;
  batches: number;
  readings: number;
  failures: number;
  lastError: string | undefined;
}

/** How long one append took, for monitoring. */
export interface AppendTiming {
  /** From handing the merged batch to its archive (embedded: to its worker thread) until it was durable (ms). */
  appendMs: number;
  /** The WAL fsync that made it durable (ms), part of appendMs. */
  syncMs: number;
}

export interface DispatcherOptions {
  /** Entries read but not acked for this long are claimed again (ms; default 2 000). */
  retryAfterMs?: number;
  /** Called after every durable append. */
  onAppend?: (timing: AppendTiming) => void;
}

/** One partition's entries: read and waiting, and appends in flight. */
interface PartitionQueue {
  waiting: BusEntry[];
  appending: number;
}

export class Dispatcher {
  readonly stats: DispatcherStats = { appends: 0, batches: 0, readings: 0, failures: 0, lastError: undefined };
  #running = true;
  readonly #loops: Promise<void>[] = [];
  readonly #onAppend: ((timing: AppendTiming) => void) | undefined;

  constructor(bus: Bus, pool: WorkerPool, region: string, { retryAfterMs = 2000, onAppend }: DispatcherOptions = {}) {
    this.#onAppend = onAppend;
    for (let w = 0; w < pool.size; w++) {
      const streams = laneStreams(region, pool.partitionsOf(w));
      this.#loops.push(this.#loop(bus, pool, `worker-${w}`, streams, retryAfterMs));
    }
  }

  async #loop(bus: Bus, pool: WorkerPool, name: string, streams: StreamId[], retryAfterMs: number): Promise<void> {
    const consumer = { group: ARCHIVER_GROUP, name };
    const queues = new Map<number, PartitionQueue>();
    const inFlight = new Set<Promise<void>>();
    let held = 0;
    const dispatch = (partition: number, queue: PartitionQueue) => {
      if (queue.waiting.length === 0 || queue.appending >= APPENDS_PER_PARTITION) return;
      // The waiting entries in arrival order, up to MAX_APPEND_READINGS (the first one whatever its size).
      const entries = queue.waiting.splice(0, mergeCount(queue.waiting, MAX_APPEND_READINGS));
      queue.appending++;
      const task = this.#store(bus, pool, partition, entries).finally(() => {
        inFlight.delete(task);
        held -= entries.length;
        queue.appending--;
        dispatch(partition, queue);
      });
      inFlight.add(task);
    };
    let sinceRetry = Date.now();
    while (this.#running) {
      if (held >= MAX_HELD) {
        await Promise.race(inFlight);
        continue;
      }
      let entries = await bus.read(consumer, streams, MAX_HELD - held, 100);
      if (Date.now() - sinceRetry > retryAfterMs) {
        sinceRetry = Date.now();
        for (const s of streams) entries = entries.concat(await bus.claim(consumer, s, retryAfterMs, 64));
      }
      held += entries.length;
      const touched = new Set<number>();
      for (const e of entries) {
        const partition = e.stream.partition;
        let queue = queues.get(partition);
        if (!queue) queues.set(partition, (queue = { waiting: [], appending: 0 }));
        queue.waiting.push(e);
        touched.add(partition);
      }
      for (const partition of touched) dispatch(partition, queues.get(partition)!);
    }
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  /** Stores one partition's entries as one batch, then acks each. */
  async #store(bus: Bus, pool: WorkerPool, partition: number, entries: BusEntry[]): Promise<void> {
    try {
      // A batch merged here is this append's alone: its memory goes to the worker, not a copy of it.
      const merged = mergeBatches(entries.map((e) => e.batch));
      const started = performance.now();
      const { points, syncMs } = await pool.append(partition, merged, entries.length > 1);
      const appendMs = performance.now() - started;
      for (const { stream, ids } of idsByStream(entries)) await bus.ack(ARCHIVER_GROUP, stream, ids);
      this.stats.appends++;
      this.stats.batches += entries.length;
      this.stats.readings += points;
      this.#onAppend?.({ appendMs, syncMs });
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = (err as Error).message;
    }
  }

  /** The stats as Prometheus counters for /metrics: batches ÷ appends is how much appends merge. */
  counters(): Record<string, number> {
    const s = this.stats;
    return { iotpipe_archive_appends_total: s.appends, iotpipe_archive_append_batches_total: s.batches, iotpipe_archive_append_failures_total: s.failures };
  }

  /** Stops reading (after the batches in hand are done). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

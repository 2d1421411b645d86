// Embedded mode's consumers: one loop per worker reads its partitions' streams from the bus (lanes in
// priority order: critical first), hands the worker one merged batch per partition, and acks the
// entries once the worker's archive holds them durably. Entries a worker could not store stay unacked
// and are retried.
import { LANES, idsByStream, type Bus, type BusEntry, type StreamId } from "../pipeline/bus.js";
import { mergeBatches } from "../pipeline/merge-batches.js";
import type { WorkerPool } from "./pool.js";

export const ARCHIVER_GROUP = "archivers";
/** Batches one worker loop has handed over and not yet seen stored. */
const MAX_IN_FLIGHT = 256;

export interface DispatcherStats {
  batches: number;
  readings: number;
  failures: number;
  lastError: string | undefined;
}

export class Dispatcher {
  readonly stats: DispatcherStats = { batches: 0, readings: 0, failures: 0, lastError: undefined };
  #running = true;
  readonly #loops: Promise<void>[] = [];

  constructor(bus: Bus, pool: WorkerPool, region: string, retryAfterMs = 2000) {
    for (let w = 0; w < pool.size; w++) {
      const streams: StreamId[] = LANES.flatMap((lane) => pool.partitionsOf(w).map((partition) => ({ region, partition, lane })));
      this.#loops.push(this.#loop(bus, pool, `worker-${w}`, streams, retryAfterMs));
    }
  }

  async #loop(bus: Bus, pool: WorkerPool, name: string, streams: StreamId[], retryAfterMs: number): Promise<void> {
    const consumer = { group: ARCHIVER_GROUP, name };
    const inFlight = new Set<Promise<void>>();
    let sinceRetry = Date.now();
    while (this.#running) {
      // Keep reading while earlier batches are being written: the archive's group commit then covers
      // many batches with one fsync.
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      let entries = await bus.read(consumer, streams, MAX_IN_FLIGHT - inFlight.size, inFlight.size > 0 ? 1 : 100);
      if (Date.now() - sinceRetry > retryAfterMs) {
        sinceRetry = Date.now();
        for (const s of streams) entries = entries.concat(await bus.claim(consumer, s, retryAfterMs, 64));
      }
      const byPartition = new Map<number, BusEntry[]>();
      for (const e of entries) {
        const group = byPartition.get(e.stream.partition);
        if (group) group.push(e);
        else byPartition.set(e.stream.partition, [e]);
      }
      for (const [partition, group] of byPartition) {
        const task = this.#store(bus, pool, partition, group).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      if (entries.length === 0 && inFlight.size > 0) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  }

  /** Stores one partition's entries as one batch, then acks each. */
  async #store(bus: Bus, pool: WorkerPool, partition: number, entries: BusEntry[]): Promise<void> {
    try {
      const points = await pool.append(partition, mergeBatches(entries.map((e) => e.batch)));
      for (const { stream, ids } of idsByStream(entries)) await bus.ack(ARCHIVER_GROUP, stream, ids);
      this.stats.batches += entries.length;
      this.stats.readings += points;
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = (err as Error).message;
    }
  }

  /** Stops reading (after the batches in hand are done). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

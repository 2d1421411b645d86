// Embedded mode's consumers: one loop per worker reads its partitions' streams from the bus (lanes in
// priority order: critical first), hands each batch to the worker, and acks it once the worker's
// archive holds it durably. Batches a worker could not store stay unacked and are retried.
import { LANES, type Bus, type StreamId } from "../pipeline/bus.js";
import type { WorkerPool } from "./pool.js";

export const ARCHIVER_GROUP = "archivers";

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
    let sinceRetry = Date.now();
    while (this.#running) {
      let entries = await bus.read(consumer, streams, 64, 100);
      if (Date.now() - sinceRetry > retryAfterMs) {
        sinceRetry = Date.now();
        for (const s of streams) entries = entries.concat(await bus.claim(consumer, s, retryAfterMs, 64));
      }
      await Promise.all(
        entries.map(async (e) => {
          try {
            const points = await pool.append(e.stream.partition, e.batch);
            await bus.ack(ARCHIVER_GROUP, e.stream, [e.id]);
            this.stats.batches++;
            this.stats.readings += points;
          } catch (err) {
            this.stats.failures++;
            this.stats.lastError = (err as Error).message;
          }
        }),
      );
    }
  }

  /** Stops reading (after the batches in hand are done). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

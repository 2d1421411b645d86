// What a scale-out worker process (`iotpipe worker`) shows on /metrics: the readings it stored, its
// appends and how long they took (under the embedded server's names, so one dashboard serves both
// modes), the partitions it holds and what waits in their streams, then the process's own metrics.
import { AppendMetrics } from "../server/metrics.js";
import { metric, renderProcessMetrics } from "../server/process-metrics.js";
import type { StreamWorkerStats } from "../workers/stream-worker.js";

/** The worker as its metrics see it. */
export interface MeteredWorker {
  readonly stats: Readonly<StreamWorkerStats>;
  readonly partitions: readonly number[];
  backlog(): Promise<number>;
}

export class WorkerMetrics {
  /** Every durable append, observed as it is made. */
  readonly appends = new AppendMetrics();

  /** Prometheus text for `worker` (its backlog is read from the bus at each call). */
  async render(worker: MeteredWorker): Promise<string> {
    const s = worker.stats;
    return [
      metric("iotpipe_worker_readings_stored_total", "counter", "Readings stored durably (their stream entries acknowledged).", s.readings),
      metric("iotpipe_archive_appends_total", "counter", "Archive appends made.", s.appends),
      metric("iotpipe_archive_append_batches_total", "counter", "Stream entries stored; entries ÷ appends is how many one append merged.", s.entries),
      metric("iotpipe_worker_entries_claimed_total", "counter", "Entries another worker read and never acknowledged, taken over with its partitions.", s.claimed),
      metric("iotpipe_worker_partitions_taken_total", "counter", "Partition leases taken.", s.partitionsTaken),
      metric("iotpipe_worker_partitions_lost_total", "counter", "Partition leases lost to another worker (expired before renewal).", s.partitionsLost),
      metric("iotpipe_worker_partitions_owned", "gauge", "Partitions this worker archives now.", worker.partitions.length),
      metric("iotpipe_worker_backlog_entries", "gauge", "Entries of the owned partitions' streams not stored yet (unread, or read and not acknowledged).", await worker.backlog()),
      this.appends.render(),
      await renderProcessMetrics(),
      "",
    ].join("\n");
  }
}

// What a scale-out worker process (`iotpipe worker`) shows on /metrics: the readings it stored, its
// appends and how long they took (under the embedded server's names, so one dashboard serves both
// modes), the partitions it holds and what waits in their streams, then the process's own metrics.
import { LatencyHistogram } from "../server/metrics.js";
import { renderProcessMetrics } from "../server/process-metrics.js";
import type { AppendTiming } from "../workers/dispatcher.js";
import type { StreamWorkerStats } from "../workers/stream-worker.js";

/** The worker as its metrics see it. */
export interface MeteredWorker {
  readonly stats: Readonly<StreamWorkerStats>;
  readonly partitions: readonly number[];
  backlog(): Promise<number>;
}

function metric(name: string, type: "counter" | "gauge", help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
}

export class WorkerMetrics {
  readonly appendLatency = new LatencyHistogram("iotpipe_archive_append_seconds", "Time from handing a partition's merged stream entries to its archive until they were durable.");
  readonly walSync = new LatencyHistogram("iotpipe_wal_fsync_seconds", "Time the WAL fsync that made an archive append durable took, per append.");

  /** Records one durable append. */
  observe({ appendMs, syncMs }: AppendTiming): void {
    this.appendLatency.observe(appendMs);
    this.walSync.observe(syncMs);
  }

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
      this.appendLatency.render(),
      this.walSync.render(),
      await renderProcessMetrics(),
      "",
    ].join("\n");
  }
}

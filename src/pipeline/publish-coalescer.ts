// Publishing with a few publications in flight per stream: batches published to a stream while those
// are on their way wait, and go out merged into one entry when one returns. Batching that grows with
// load and costs nothing when idle: an entry costs the same Arrow IPC encoding and Redis round trip on
// the ingest process, and decoding on the worker's, whether it holds one reading or thousands.
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { mergeBatches, mergeCount } from "./merge-batches.js";

interface Waiting {
  batch: FlaggedColumns;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/** Most readings merged into one entry (more when one batch alone holds more). */
const MAX_MERGED_READINGS = 1 << 16;
/**
 * Publications in flight per stream before batches wait to be merged. Two, not one: a batch that
 * arrives while one publication is on its way goes out at once instead of waiting a round trip.
 */
const IN_FLIGHT = 2;

interface StreamQueue {
  waiting: Waiting[];
  sending: number;
}

export class PublishCoalescer {
  readonly #send: (key: string, batch: FlaggedColumns) => Promise<string>;
  /** Per stream with a publication in flight, the batches waiting to go out. */
  readonly #queues = new Map<string, StreamQueue>();

  /** @param send publishes one batch as one entry of the stream named `key`, resolving with the entry's id. */
  constructor(send: (key: string, batch: FlaggedColumns) => Promise<string>) {
    this.#send = send;
  }

  /** Publishes `batch` to the stream named `key`; resolves with the id of the entry that carried it. */
  publish(key: string, batch: FlaggedColumns): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let queue = this.#queues.get(key);
      if (!queue) this.#queues.set(key, (queue = { waiting: [], sending: 0 }));
      queue.waiting.push({ batch, resolve, reject });
      if (queue.sending < IN_FLIGHT) void this.#drain(key, queue);
    });
  }

  /** Sends what waits, merged, until nothing does (one of the stream's IN_FLIGHT senders). */
  async #drain(key: string, queue: StreamQueue): Promise<void> {
    queue.sending++;
    const waiting = queue.waiting;
    while (waiting.length > 0) {
      // The waiting batches in publish order, up to MAX_MERGED_READINGS (the first whatever its size).
      const group = waiting.splice(0, mergeCount(waiting, MAX_MERGED_READINGS));
      try {
        const id = await this.#send(key, mergeBatches(group.map((w) => w.batch)));
        for (const w of group) w.resolve(id);
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    if (--queue.sending === 0) this.#queues.delete(key);
  }
}

// Publishing with one publication in flight per stream: batches published to a stream while its last
// publication is on its way wait, and go out merged into one entry when it returns. Batching that grows
// with load and costs nothing when idle: an entry costs the same Arrow IPC encoding and Redis round trip
// on the ingest process, and decoding on the worker's, whether it holds one reading or thousands.
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { mergeBatches } from "./merge-batches.js";

interface Waiting {
  batch: FlaggedColumns;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/** Most readings merged into one entry (more when one batch alone holds more). */
const MAX_MERGED_READINGS = 1 << 16;

export class PublishCoalescer<S> {
  readonly #send: (stream: S, batch: FlaggedColumns) => Promise<string>;
  /** Per stream with a publication in flight, the batches waiting for it to return. */
  readonly #waiting = new Map<string, Waiting[]>();

  /** @param send publishes one batch as one entry of `stream`, resolving with the entry's id. */
  constructor(send: (stream: S, batch: FlaggedColumns) => Promise<string>) {
    this.#send = send;
  }

  /** Publishes `batch` to `stream` (named `key`); resolves with the id of the entry that carried it. */
  publish(key: string, stream: S, batch: FlaggedColumns): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const waiting = this.#waiting.get(key);
      if (waiting) {
        waiting.push({ batch, resolve, reject });
        return;
      }
      const queue: Waiting[] = [{ batch, resolve, reject }];
      this.#waiting.set(key, queue);
      void this.#drain(key, stream, queue);
    });
  }

  async #drain(key: string, stream: S, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      // The waiting batches in publish order, up to MAX_MERGED_READINGS (the first whatever its size).
      let take = 1;
      let readings = queue[0].batch.timestamps.length;
      while (take < queue.length && readings + queue[take].batch.timestamps.length <= MAX_MERGED_READINGS) {
        readings += queue[take++].batch.timestamps.length;
      }
      const group = queue.splice(0, take);
      try {
        const id = await this.#send(stream, mergeBatches(group.map((w) => w.batch)));
        for (const w of group) w.resolve(id);
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.#waiting.delete(key);
  }
}

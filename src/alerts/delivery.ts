// Delivery of alert events to a sink that can fail (a webhook, a Redis stream): events queue (bounded:
// the oldest are dropped, and counted, when a sink stays down), go out in order in batches, and a
// failed batch is retried with exponential backoff and jitter until it has had `maxAttempts`. A sink
// that refuses a batch for good (an HTTP 4xx) drops it at once. Nothing here blocks the evaluation.
import type { AlertEvent } from "./lifecycle.js";

/** A refusal retrying will not change. */
export class PermanentDeliveryError extends Error {
  override readonly name = "PermanentDeliveryError";
}

export interface DeliveryOptions {
  maxAttempts: number;
  maxQueued?: number;
  batchSize?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface DeliveryStats {
  delivered: number;
  /** Attempts that failed (each retry counts). */
  failures: number;
  /** Events given up on: attempts exhausted, refused for good, or pushed out of a full queue. */
  dropped: number;
  queued: number;
}

export class DeliveryQueue {
  readonly name: string;
  readonly #deliver: (events: AlertEvent[]) => Promise<void>;
  readonly #options: Required<DeliveryOptions>;
  readonly #queue: AlertEvent[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly stats: DeliveryStats = { delivered: 0, failures: 0, dropped: 0, queued: 0 };
  lastError: string | undefined;

  constructor(name: string, deliver: (events: AlertEvent[]) => Promise<void>, options: DeliveryOptions) {
    this.name = name;
    this.#deliver = deliver;
    this.#options = { maxQueued: 10_000, batchSize: 100, baseDelayMs: 250, maxDelayMs: 30_000, ...options };
  }

  push(e: AlertEvent): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#options.maxQueued) {
      this.#queue.shift();
      this.stats.dropped++;
    }
    this.#queue.push(e);
    this.stats.queued = this.#queue.length;
    // Started after this tick, so the events of one evaluation go out together.
    this.#running ??= Promise.resolve()
      .then(() => this.#run())
      .finally(() => (this.#running = undefined));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.#options.batchSize);
      let attempt = 0;
      for (;;) {
        try {
          await this.#deliver(batch);
          this.stats.delivered += batch.length;
          break;
        } catch (err) {
          this.stats.failures++;
          this.lastError = (err as Error).message;
          if (err instanceof PermanentDeliveryError || ++attempt >= this.#options.maxAttempts || this.#closed) {
            this.stats.dropped += batch.length;
            break;
          }
          const delay = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempt - 1));
          await this.#sleep(delay * (0.5 + Math.random() / 2));
        }
      }
      // The queue may have dropped its oldest while this batch was out: remove only what is still there.
      for (const e of batch) if (this.#queue[0] === e) this.#queue.shift();
      this.stats.queued = this.#queue.length;
    }
  }

  /** Delivers what is queued (one attempt each once closing), waiting at most `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    if (this.#running) await Promise.race([this.#running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

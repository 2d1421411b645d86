// Where fired windows go in the process that serves subscribers: WS /v1/windows listeners, and the
// library API's callbacks. Subscribers are called synchronously, in the order they subscribed.
import type { WindowResult } from "./stream-windows.js";

export class WindowFeed {
  readonly #listeners = new Set<(r: WindowResult) => void>();

  /** Calls `listener` with every window fired from now on; returns the unsubscribe function. */
  subscribe(listener: (r: WindowResult) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(results: readonly WindowResult[]): void {
    for (const r of results) for (const l of this.#listeners) l(r);
  }
}

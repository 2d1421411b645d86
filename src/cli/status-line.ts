// The live status line `npm start` prints every second: rates and latency over the last few seconds,
// since devices that report once a second would otherwise make a one-second window read 0, then double.
import type { Running } from "../main.js";
import { LatencyHistogram, quantileOf } from "../server/metrics.js";

/** Seconds the status line's readings/s and ack p99 cover. */
const STATUS_WINDOW_SECONDS = 5;

/** @internal The last `size` samples of a running total and of latency bucket counts. */
export class StatusWindow {
  readonly #size: number;
  readonly #samples: { at: number; total: number; counts: number[] }[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Adds a sample: the time (ms), the running total, and the latency bucket counts since the last sample. */
  add(at: number, total: number, counts: number[]): void {
    this.#samples.push({ at, total, counts });
    if (this.#samples.length > this.#size + 1) this.#samples.shift();
  }

  /** Per second over the window; 0 before the second sample. */
  rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    return last && last.at > first.at ? ((last.total - first.total) * 1000) / (last.at - first.at) : 0;
  }

  /** The q-quantile (ms) of the latencies counted since the window's first sample; NaN for none. */
  quantile(q: number): number {
    const sum = new Array<number>(LatencyHistogram.BOUNDS.length).fill(0);
    for (const s of this.#samples.slice(1)) s.counts.forEach((n, i) => (sum[i] += n));
    return quantileOf(sum, q);
  }
}

export function startStatusLine(running: Running, write: (line: string) => void, extra: () => string = () => ""): () => void {
  const window = new StatusWindow(STATUS_WINDOW_SECONDS);
  const sample = () => window.add(performance.now(), running.metrics.readings.total(), running.metrics.ackLatency.takeWindow());
  sample();
  const timer = setInterval(async () => {
    sample();
    const p99 = window.quantile(0.99);
    const lag = await running.backlog();
    write(
      `readings/s ${Math.round(window.rate()).toLocaleString("en-US").padStart(9)} | devices ${running.metrics.devicesSeen} | ` +
        `connections ${running.metrics.openConnections} | lag ${lag} batches | rejected ${running.metrics.rejected.total()} | ` +
        `ack p99 ${Number.isNaN(p99) ? "-" : `${p99.toFixed(1)} ms`}${extra()}`,
    );
  }, 1000);
  return () => clearInterval(timer);
}

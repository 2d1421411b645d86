// How responsive the socket thread is: event-loop delay (its p99 and max since start) and the longest
// garbage-collection pause, for /metrics. A long pause here is what a critical reading waits for.
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

export class LoopHealth {
  readonly #delay = monitorEventLoopDelay({ resolution: 5 });
  readonly #gc: PerformanceObserver;
  #gcMaxMs = 0;
  #gcTotalMs = 0;

  constructor() {
    this.#delay.enable();
    this.#gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#gcTotalMs += e.duration;
        if (e.duration > this.#gcMaxMs) this.#gcMaxMs = e.duration;
      }
    });
    this.#gc.observe({ entryTypes: ["gc"] });
  }

  gauges(): Record<string, number> {
    return {
      iotpipe_event_loop_delay_p99_ms: Math.round(this.#delay.percentile(99) / 1e4) / 100,
      iotpipe_event_loop_delay_max_ms: Math.round(this.#delay.max / 1e4) / 100,
      iotpipe_gc_pause_max_ms: Math.round(this.#gcMaxMs * 100) / 100,
      iotpipe_gc_pause_total_ms: Math.round(this.#gcTotalMs),
    };
  }

  close(): void {
    this.#delay.disable();
    this.#gc.disconnect();
  }
}

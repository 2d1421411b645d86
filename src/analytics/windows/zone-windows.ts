// Zone windows across workers: each worker sends its part of a zone's window (its member series merged)
// and, every sweep, its watermark for each zone it has devices in; the window is emitted once every
// worker has swept and each one with devices in the zone has passed its end, and again when a part
// changes within the allowed lateness. A worker whose first device of a zone comes later adds to the
// zone's windows from then on. The workers are a fixed number (the embedded pool's threads) or, in
// scale-out mode, those that swept lately: a worker process that stops sweeping (it stopped or died,
// and another claims its partitions) no longer holds zones back.
import { WindowKernel } from "./window-kernel.js";
import type { WindowState } from "./window-state.js";
import { groupWindowSpent, type WindowSpec } from "./window-spec.js";
import { windowResult, type WindowResult, type ZonePart, type ZoneWatermark } from "./stream-windows.js";

interface Pending {
  spec: WindowSpec;
  zone: string;
  channel: string;
  end: number;
  parts: Map<number | string, WindowState>;
  emitted: boolean;
  changed: boolean;
  /** When (ms) it was last emitted. */
  emittedAt: number;
}

/** The workers zone windows wait for: a fixed number, or those that swept within the last `staleMs`. */
export type ZoneWorkers = number | { staleMs: number };

export class ZoneWindows {
  readonly #specs = new Map<string, { spec: WindowSpec; kernel: WindowKernel }>();
  /** window \0 zone → worker → watermark */
  readonly #watermarks = new Map<string, Map<number | string, number>>();
  readonly #pending = new Map<string, Pending>();
  /** Workers that have swept, and when (ms): a zone they report no watermark for has none of their devices. */
  readonly #swept = new Map<number | string, number>();
  readonly #workers: ZoneWorkers;

  private constructor(workers: ZoneWorkers) {
    this.#workers = workers;
  }

  /** Zone merging for a fixed number of workers, or for those that swept within the last `staleMs`. */
  static async create(specs: readonly WindowSpec[], workers: ZoneWorkers, module?: WebAssembly.Module): Promise<ZoneWindows> {
    const z = new ZoneWindows(workers);
    for (const spec of specs) if (spec.groupBy === "zone") z.#specs.set(spec.name, { spec, kernel: await WindowKernel.create(spec, module) });
    return z;
  }

  /** Forgets workers that stopped sweeping (scale-out), with their watermarks. */
  #forgetStale(now: number): void {
    const w = this.#workers;
    if (typeof w === "number") return;
    for (const [worker, at] of this.#swept) {
      if (now - at <= w.staleMs) continue;
      this.#swept.delete(worker);
      for (const byWorker of this.#watermarks.values()) byWorker.delete(worker);
    }
  }

  /** The zone's watermark: the lowest of the workers with devices in it; −∞ until every worker has swept. */
  #watermark(window: string, zone: string): number {
    if (this.#swept.size < (typeof this.#workers === "number" ? this.#workers : 1)) return -Infinity;
    const byWorker = this.#watermarks.get(`${window}\u0000${zone}`);
    return byWorker && byWorker.size > 0 ? Math.min(...byWorker.values()) : -Infinity;
  }

  /**
   * Takes one worker's parts and zone watermarks (`swept`: from a sweep, which reports every zone the
   * worker has devices in) at `now` (ms); returns the zone windows now complete (or updated).
   */
  take(worker: number | string, parts: readonly ZonePart[], watermarks: readonly ZoneWatermark[], swept: boolean, now = Date.now()): WindowResult[] {
    if (swept) this.#swept.set(worker, now);
    this.#forgetStale(now);
    for (const p of parts) {
      const def = this.#specs.get(p.window);
      if (!def) continue;
      const key = `${p.window}\u0000${p.zone}\u0000${p.channel}\u0000${p.state.end}`;
      let pending = this.#pending.get(key);
      if (!pending) this.#pending.set(key, (pending = { spec: def.spec, zone: p.zone, channel: p.channel, end: p.state.end, parts: new Map(), emitted: false, changed: false, emittedAt: 0 }));
      pending.parts.set(worker, p.state);
      pending.changed = true;
    }
    for (const w of watermarks) {
      const key = `${w.window}\u0000${w.zone}`;
      let byWorker = this.#watermarks.get(key);
      if (!byWorker) this.#watermarks.set(key, (byWorker = new Map()));
      byWorker.set(worker, w.watermark);
    }
    const out: WindowResult[] = [];
    for (const [key, p] of this.#pending) {
      const wm = this.#watermark(p.spec.name, p.zone);
      if (p.changed && wm >= p.end) {
        const merged = this.#specs.get(p.spec.name)!.kernel.merge([...p.parts.values()]);
        merged.update = p.emitted;
        out.push(windowResult(p.spec, merged, `zone:${p.zone}`, p.channel, p.zone));
        p.emitted = true;
        p.changed = false;
        p.emittedAt = now;
      }
      // Kept as long as in the workers: a worker's part updated with a device it met late replaces its earlier part here.
      if (p.emitted && groupWindowSpent(p.spec, p.end, wm, (now - p.emittedAt) * 1000)) this.#pending.delete(key);
    }
    return out;
  }
}

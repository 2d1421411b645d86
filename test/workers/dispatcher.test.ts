import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "../../src/pipeline/memory-bus.js";
import { WorkerPool } from "../../src/workers/pool.js";
import { Dispatcher, type AppendTiming } from "../../src/workers/dispatcher.js";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A batch of `n` readings of one device's channel, from `start` µs, a second apart. */
function batch(n: number, start: number): FlaggedColumns {
  return {
    devices: ["press-1"],
    channels: ["temp"],
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: Float64Array.from({ length: n }, (_, i) => start + i * 1e6),
    values: Float64Array.from({ length: n }, (_, i) => 20 + (i % 7)),
    flags: new Uint8Array(n),
  };
}

describe("the embedded dispatcher", () => {
  it("merges a partition's backlog into appends of at most 65 536 readings, storing every reading once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotpipe-dispatcher-"));
    dirs.push(dir);
    const pool = await WorkerPool.start({ dataDir: dir, partitions: 1, workers: 1, analytics: false });
    const bus = new MemoryBus();
    const start = Date.UTC(2026, 0, 1) * 1000;
    // Ten entries of 20 000 readings wait before the dispatcher reads: three fit in one append.
    const published = Array.from({ length: 10 }, (_, k) => bus.publish({ region: "test", partition: 0, lane: "standard" }, batch(20_000, start + k * 20_000e6)));
    const timings: AppendTiming[] = [];
    const dispatcher = new Dispatcher(bus, pool, "test", { onAppend: (t) => timings.push(t) });
    try {
      await Promise.all(published);
      expect(dispatcher.stats).toMatchObject({ appends: 4, batches: 10, readings: 200_000, failures: 0 });
      // Each append is timed once: its fsync is part of its whole.
      expect(timings).toHaveLength(4);
      for (const t of timings) expect(0 < t.syncMs && t.syncMs <= t.appendMs).toBe(true);
      const result = await pool.query({ devices: ["press-1"], channel: "temp", from: start, to: start + 200_000e6, aggregates: ["count"] });
      expect(result.groups[0].rows[0].values.count).toBe(200_000);
    } finally {
      await dispatcher.stop();
      await bus.close();
      await pool.close();
    }
  });
});

// A worker thread: owns whole partitions, one archive directory each (single writer per series),
// appends the batches the dispatcher hands it and answers its part of queries.
import { parentPort, workerData } from "node:worker_threads";
import { join } from "node:path";
import { Archive } from "../archive/archive.js";
import { createCodec } from "../codec/index.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { BatchBuilder } from "../ingest/batch-builder.js";
import { decodeFrame } from "../ingest/decode-frame.js";
import { lowerThreadPriority } from "./thread-priority.js";
import { StreamAnalytics, type SeriesSignal } from "../analytics/stream-analytics.js";
import { StreamWindows, type WindowOutput } from "../analytics/windows/stream-windows.js";
import { derivedColumns } from "../analytics/windows/derived-series.js";
import { partitionOf } from "../pipeline/router.js";

/** Directory of a partition's archive. */
export function partitionDir(dataDir: string, partition: number): string {
  return join(dataDir, `p${String(partition).padStart(3, "0")}`);
}

async function main(port: NonNullable<typeof parentPort>, init: WorkerInit): Promise<void> {
  lowerThreadPriority(init.nice);
  const codec = await createCodec({ module: init.codecModule });
  const archives = new Map<number, Archive>();
  for (const p of init.partitions) archives.set(p, await Archive.open(partitionDir(init.dataDir, p), { ...init.archive, codec }));
  const reply = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  // Analytics run after the append is acknowledged: they never hold up durability.
  const analytics = init.analyticsModule ? await StreamAnalytics.create(init.analyticsModule) : undefined;
  const signal = (signals: SeriesSignal[]) => {
    if (signals.length > 0) reply({ type: "signals", signals });
  };
  const windows = init.windows.length > 0 ? await StreamWindows.create(init.windows, init.windowModule) : undefined;
  const stored = new Set(init.windows.filter((w) => w.store).map((w) => w.name));
  const derivedWrites = new Set<Promise<unknown>>();
  // Window results go to the pool (subscribers, zone merging) and, as derived series, into the archive
  // of the partition that holds their device (this worker's: a device's series all live there).
  const zoned = init.windows.some((w) => w.groupBy === "zone");
  const report = (out: WindowOutput, swept: boolean) => {
    const late: Record<string, number> = {};
    for (const l of out.late) late[l.window] = (late[l.window] ?? 0) + 1;
    if (out.results.length + out.late.length + out.zoneParts.length === 0 && !(swept && zoned)) return;
    reply({ type: "windows", report: { results: out.results, late, zoneParts: out.zoneParts, zoneWatermarks: out.zoneWatermarks, swept } });
    const byPartition = new Map<number, WindowOutput>();
    const part = (device: string) => {
      const p = partitionOf(device, init.partitionCount);
      let o = byPartition.get(p);
      if (!o) byPartition.set(p, (o = { results: [], late: [], zoneParts: [], zoneWatermarks: [] }));
      return o;
    };
    for (const r of out.results) part(r.device).results.push(r);
    for (const l of out.late) part(l.device).late.push(l);
    for (const [p, o] of byPartition) {
      const cols = derivedColumns(o.results, o.late, stored);
      if (!cols || !archives.has(p)) continue;
      const write = archives.get(p)!.append(cols).catch((err: Error) => console.error(`windows: derived series of partition ${p} not stored: ${err.message}`));
      derivedWrites.add(write);
      void write.finally(() => derivedWrites.delete(write));
    }
  };
  const sweep = setInterval(() => {
    const now = Date.now() * 1000;
    if (analytics) signal(analytics.sweep(now));
    if (windows) report(windows.sweep(now), true);
  }, 1000);
  sweep.unref();
  const builder = new BatchBuilder();
  const archive = (p: number) => {
    const a = archives.get(p);
    if (!a) throw new Error(`BUG: partition ${p} is not owned by this worker`);
    return a;
  };
  port.on("message", async (m: ToWorker) => {
    try {
      switch (m.type) {
        case "append": {
          const { points } = await archive(m.partition).append(m.batch);
          reply({ type: "done", id: m.id, points });
          if (m.derived) break;
          try {
            const now = Date.now() * 1000;
            if (analytics) signal(analytics.observe(m.batch, now));
            if (windows) report(windows.observe(m.batch, now), false);
          } catch (err) {
            // The batch is durable and acknowledged already: a batch the kernels refuse must not answer twice.
            console.error(`analytics skipped a batch of partition ${m.partition}: ${(err as Error).message}`);
          }
          break;
        }
        case "query": {
          const parts = await Promise.all([...archives.values()].map((a) => a.queryPart(m.query, m.dryRun)));
          reply({ type: "done", id: m.id, parts });
          break;
        }
        case "define":
          await archive(m.partition).defineDevice(m.device, m.tags);
          analytics?.defineDevice(m.device, m.tags);
          windows?.defineDevice(m.device, m.tags);
          reply({ type: "done", id: m.id });
          break;
        case "decode": {
          // The pool's share of decoding: a large frame parsed here, off the thread that serves sockets.
          let decoding;
          try {
            decoding = decodeFrame(m.kind, m.bytes, builder, m.limits, codec, m.precision, m.now);
          } catch (err) {
            builder.take();
            throw err;
          }
          const cols = builder.take();
          const transfer = [cols.device, cols.channel, cols.timestamps, cols.values, cols.flags].map((a) => a.buffer as ArrayBuffer);
          if (decoding.blocks) {
            cols.blocks = decoding.blocks;
            transfer.push(...[decoding.blocks.rows, decoding.blocks.counts, decoding.blocks.offsets, decoding.blocks.bytes].map((a) => a.buffer as ArrayBuffer));
          }
          reply({ type: "done", id: m.id, decoded: { frame: decoding.frame, format: decoding.format, cols } }, transfer);
          break;
        }
        case "signal-filter":
          analytics?.setSignalFilter(m.filter);
          reply({ type: "done", id: m.id });
          break;
        case "health":
          reply({ type: "done", id: m.id, health: analytics?.health(m.now) ?? [] });
          break;
        case "checkpoint":
          await Promise.all([...archives.values()].map((a) => a.checkpoint()));
          reply({ type: "done", id: m.id });
          break;
        case "close":
          clearInterval(sweep);
          await Promise.all(derivedWrites);
          await Promise.all([...archives.values()].map((a) => a.close()));
          reply({ type: "done", id: m.id });
          port.close();
          break;
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      reply({ type: "done", id: m.id, error: { code: e.code, message: e.message } });
    }
  });
  reply({ type: "ready" });
}

if (parentPort) await main(parentPort, workerData as WorkerInit);

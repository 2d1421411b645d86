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
import { WorkerAnalytics } from "./worker-analytics.js";

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
  const analytics = await WorkerAnalytics.create(
    { analytics: init.analyticsModule ?? false, windows: init.windows, windowModule: init.windowModule, partitionCount: init.partitionCount },
    {
      signals: (signals) => reply({ type: "signals", signals }),
      windows: (report) => reply({ type: "windows", report }),
      store: (partition, cols) => archives.get(partition)?.append(cols),
      log: (line) => console.error(line),
    },
  );
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
          const { points, syncMs } = await archive(m.partition).append(m.batch);
          reply({ type: "done", id: m.id, points, syncMs });
          analytics.observe(m.batch, m.partition);
          break;
        }
        case "zone-windows":
          analytics.storeZoneWindows(m.results);
          reply({ type: "done", id: m.id });
          break;
        case "query": {
          const parts = await Promise.all([...archives.values()].map((a) => a.queryPart(m.query, m.dryRun)));
          reply({ type: "done", id: m.id, parts });
          break;
        }
        case "define":
          await archive(m.partition).defineDevice(m.device, m.tags);
          analytics.defineDevice(m.device, m.tags);
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
          analytics.setSignalFilter(m.filter);
          reply({ type: "done", id: m.id });
          break;
        case "health":
          reply({ type: "done", id: m.id, health: analytics.health(m.now) });
          break;
        case "checkpoint":
          await Promise.all([...archives.values()].map((a) => a.checkpoint()));
          reply({ type: "done", id: m.id });
          break;
        case "close":
          await analytics.close();
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

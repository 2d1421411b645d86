// The wiring: the only module that knows which implementations are in use. Starts the worker pool
// (archives), the bus (in-process, or Redis Streams), the dispatcher, intake and the server, and stops
// them in the order that loses nothing: stop accepting, let in-flight frames become durable, close.
import { createCodec } from "./codec/index.js";
import type { Config } from "./config.js";
import { DeviceRegistry } from "./ingest/devices.js";
import { Intake, type IntakeCounters } from "./ingest/intake.js";
import { MemoryBus } from "./pipeline/memory-bus.js";
import { LANES, type Bus } from "./pipeline/bus.js";
import { partitionOf } from "./pipeline/router.js";
import { WorkerPool } from "./workers/pool.js";
import { Dispatcher, ARCHIVER_GROUP } from "./workers/dispatcher.js";
import { ServerMetrics } from "./server/metrics.js";
import { startServer, type RunningServer } from "./server/server.js";
import { warnIfFallback } from "./server/uws.js";

export interface Running {
  config: Config;
  port: number;
  metrics: ServerMetrics;
  pool: WorkerPool;
  bus: Bus;
  dispatcher: Dispatcher;
  registry: DeviceRegistry;
  /** Entries published but not yet durable, across every stream. */
  backlog(): Promise<number>;
  stop(): Promise<void>;
}

function counters(m: ServerMetrics): IntakeCounters {
  return {
    frame: (format) => m.frames.inc(1, format),
    badFrame: (code) => m.badFrames.inc(1, code),
    accepted: (n, devices) => {
      m.readings.inc(n);
      for (const d of devices) m.devices.add(d);
    },
    rejected: (reason) => m.rejected.inc(1, reason),
    ackLatency: (ms) => m.ackLatency.observe(ms),
  };
}

/** Starts iotpipe on the embedded default (or with Redis when configured). */
export async function startIotpipe(config: Config, log: (line: string) => void = console.log, bus: Bus = new MemoryBus()): Promise<Running> {
  warnIfFallback(log);
  const registry = config.registryFile ? DeviceRegistry.load(config.registryFile) : new DeviceRegistry();
  const pool = await WorkerPool.start({ dataDir: config.dataDir, partitions: config.partitions, workers: config.workers });
  for (const [id, spec] of registry.entries()) {
    if (spec.tags) await pool.defineDevice(partitionOf(id, config.partitions), id, spec.tags);
  }
  const dispatcher = new Dispatcher(bus, pool, config.region);
  const metrics = new ServerMetrics();
  const intake = new Intake(bus, registry, config, await createCodec(), counters(metrics));
  const streams = LANES.flatMap((lane) => Array.from({ length: config.partitions }, (_, partition) => ({ region: config.region, partition, lane })));
  const backlog = async () => (await Promise.all(streams.map((s) => bus.backlog(ARCHIVER_GROUP, s)))).reduce((a, b) => a + b, 0);
  let server: RunningServer;
  try {
    server = await startServer(config, { intake, metrics, query: (q) => pool.query(q) });
  } catch (err) {
    await dispatcher.stop();
    await pool.close();
    throw err;
  }
  return {
    config,
    port: server.port,
    metrics,
    pool,
    bus,
    dispatcher,
    registry,
    backlog,
    async stop() {
      server.close();
      const deadline = Date.now() + 10_000;
      while ((metrics.inFlightBytes > 0 || (await backlog()) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await dispatcher.stop();
      await pool.close();
      await bus.close();
    },
  };
}

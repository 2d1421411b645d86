// The wiring: the only module that knows which implementations are in use. Embedded (default): the
// worker pool (archives), the in-process bus, the dispatcher, intake and the server. Scale-out (a Redis
// URL configured): intake and the server publish to Redis Streams, `iotpipe worker` processes
// archive, and queries are asked of them over Redis. Stops in the order that loses nothing: stop
// accepting, let in-flight frames become durable.
import { createCodec } from "./codec/index.js";
import type { Config } from "./config.js";
import { DeviceRegistry } from "./ingest/devices.js";
import { Intake, type IntakeCounters } from "./ingest/intake.js";
import { AnalyticsSubscriber } from "./workers/analytics-channels.js";
import type { ClockSkew } from "./ingest/clock-skew.js";
import type { DeviceHealth } from "./analytics/stream-analytics.js";
import { MemoryBus } from "./pipeline/memory-bus.js";
import { RedisStreamsBus } from "./pipeline/redis-streams-bus.js";
import { laneStreams, totalBacklog, type Bus } from "./pipeline/bus.js";
import { partitionOf } from "./pipeline/router.js";
import { WorkerPool } from "./workers/pool.js";
import { RemoteQuery } from "./workers/remote-query.js";
import { lockDataDir } from "./workers/data-dir-lock.js";
import { Dispatcher, ARCHIVER_GROUP } from "./workers/dispatcher.js";
import { ServerMetrics } from "./server/metrics.js";
import { startServer, type RunningServer } from "./server/server.js";
import { warnIfFallback } from "./server/uws.js";
import { AlertManager } from "./alerts/alert-manager.js";
import { LoopHealth } from "./server/loop-health.js";
import { FLAG_CRITICAL } from "./ingest/batch-builder.js";
import { WindowFeed } from "./analytics/windows/window-feed.js";
import { ZoneWindows } from "./analytics/windows/zone-windows.js";
import type { WindowReport } from "./workers/protocol.js";

export interface Running {
  config: Config;
  port: number;
  metrics: ServerMetrics;
  /** The archive workers (embedded mode only; in scale-out mode they are other processes). */
  pool?: WorkerPool;
  bus: Bus;
  dispatcher?: Dispatcher;
  registry: DeviceRegistry;
  alerts: AlertManager;
  /** Event-time windows as they fire (embedded mode: the workers' results, zone windows merged here). */
  windows: WindowFeed;
  /** Entries published but not yet durable, across every stream. */
  backlog(): Promise<number>;
  stop(): Promise<void>;
}

function counters(m: ServerMetrics): IntakeCounters {
  return {
    frame: (format) => m.frames.inc(1, format),
    badFrame: (code) => m.badFrames.inc(1, code),
    accepted: (n) => m.readings.inc(n),
    newDevices: (count) => (m.devicesSeen += count),
    rejected: (reason) => m.rejected.inc(1, reason),
    ackLatency: (ms) => m.ackLatency.observe(ms),
    clocks: (jumps, corrected) => {
      m.clockJumps.inc(jumps);
      m.clockCorrected.inc(corrected);
    },
  };
}

/** The fleet's health with a note on each device whose clock the ingest is correcting. */
function withClockCorrections(devices: DeviceHealth[], clocks: ClockSkew): DeviceHealth[] {
  const now = Date.now() * 1000;
  for (const d of devices) {
    const c = clocks.status(d.device);
    if (!c || c.correctionUs === 0) continue;
    const seconds = (c.correctionUs / 1e6).toFixed(1);
    d.issues.push({ channel: "*", finding: "SKEW", severity: "info", explanation: `clock steadily ${c.correctionUs > 0 ? "behind" : "ahead"} by ${Math.abs(Number(seconds))} s: its timestamps are corrected by ${c.correctionUs > 0 ? "+" : ""}${seconds} s on arrival`, at: now });
  }
  return devices;
}

/** Starts iotpipe: embedded by default, scale-out when a Redis URL is configured. */
export async function startIotpipe(config: Config, log: (line: string) => void = console.log, bus?: Bus): Promise<Running> {
  warnIfFallback(log);
  const scaleOut = bus === undefined && config.redisUrl !== undefined;
  // The ingest process publishes each turn's frames per stream: merged while two are on their way.
  bus ??= config.redisUrl ? new RedisStreamsBus(config.redisUrl, { coalesce: true }) : new MemoryBus();
  const registry = config.registryFile ? DeviceRegistry.load(config.registryFile) : new DeviceRegistry();
  let pool: WorkerPool | undefined;
  let dispatcher: Dispatcher | undefined;
  let unlock: (() => Promise<void>) | undefined;
  if (!scaleOut) unlock = await lockDataDir(config.dataDir);
  const alerts = await AlertManager.open({
    dataDir: config.dataDir,
    file: config.alertsFile,
    redisUrl: config.redisUrl,
    log,
    facts: {
      tags: (d) => registry.get(d)?.tags,
      hasCriticalLimits: (d, c) => {
        const spec = registry.get(d)?.channels?.[c];
        return spec?.criticalAbove !== undefined || spec?.criticalBelow !== undefined;
      },
      criticalFlag: FLAG_CRITICAL,
      criticalChannels: new Set(
        [...registry.entries()].flatMap(([, spec]) => Object.entries(spec.channels ?? {}).filter(([, c]) => c.criticalAbove !== undefined || c.criticalBelow !== undefined).map(([name]) => name)),
      ),
    },
  }).catch(async (err: unknown) => {
    await unlock?.();
    throw err;
  });
  const metrics = new ServerMetrics();
  const windows = new WindowFeed();
  // Zone windows wait for every worker: the pool's threads, or the worker processes that swept in the
  // last few seconds (scale-out workers come and go; each sweeps every second).
  const zones = await ZoneWindows.create(config.windows, scaleOut ? { staleMs: 3000 } : Math.min(config.workers, config.partitions));
  /** Scale-out: the workers' analytics over Redis (set once connected). */
  let analytics: AnalyticsSubscriber | undefined;
  // Workers store their series' and devices' windows themselves; zone windows are complete only here,
  // and go back to the workers to be stored: the pool's threads, or the worker processes over Redis.
  const onWindows = (worker: number | string, report: WindowReport) => {
    for (const [w, n] of Object.entries(report.late)) metrics.lateReadings.inc(n, w);
    const zoneResults = zones.take(worker, report.zoneParts, report.zoneWatermarks, report.swept);
    const results = zoneResults.length ? [...report.results, ...zoneResults] : report.results;
    for (const r of results) metrics.windowsFired.inc(1, r.window);
    windows.publish(results);
    if (zoneResults.length === 0) return;
    if (pool) pool.storeZoneWindows(zoneResults).catch((err: Error) => log(`windows: zone windows not stored: ${err.message}`));
    else analytics?.storeZoneWindows(zoneResults);
  };
  if (!scaleOut) {
    pool = await WorkerPool.start({ dataDir: config.dataDir, partitions: config.partitions, workers: config.workers, analytics: config.analytics, nice: config.workerNice, onSignals: (s) => alerts.signals(s), windows: config.windows, onWindows }).catch(async (err: unknown) => {
      await alerts.close();
      await unlock!();
      throw err;
    });
    const workers = pool;
    alerts.onSignalFilter((f) => void workers.setSignalFilter(f).catch((err: Error) => log(`alerts: workers did not take the signal filter: ${err.message}`)));
    for (const [id, spec] of registry.entries()) {
      if (spec.tags) await pool.defineDevice(partitionOf(id, config.partitions), id, spec.tags);
    }
    dispatcher = new Dispatcher(bus, pool, config.region, {
      onAppend: (timing) => metrics.appends.observe(timing),
    });
  }
  // Scale-out: the worker processes' signals and windows arrive over Redis.
  if (scaleOut) {
    analytics = await AnalyticsSubscriber.start(config.redisUrl!, config.region, {
      signals: (s) => alerts.signals(s),
      windows: (worker, report) => onWindows(worker, report),
    });
    const subscriber = analytics;
    alerts.onSignalFilter((f) => void subscriber.setSignalFilter(f).catch((err: Error) => log(`alerts: the signal filter did not reach Redis: ${err.message}`)));
  }
  // Embedded: large frames are decoded by the worker threads, off the socket thread.
  // Alert rules on readings are evaluated on arrival (ingest triage), before the batch waits for a worker.
  const triage = (cols: Parameters<AlertManager["observe"]>[0], at: number) => {
    try {
      alerts.observe(cols, at);
    } catch (err) {
      metrics.badFrames.inc(1, "ALERT_EVALUATION");
      log(`alerts: a batch could not be evaluated: ${(err as Error).message}`);
    }
  };
  const intake = new Intake(bus, registry, config, await createCodec(), counters(metrics), pool ? (kind, bytes, precision, now, limits) => pool!.decode(kind, bytes, precision, now, limits) : undefined, triage);
  const streams = laneStreams(config.region, Array.from({ length: config.partitions }, (_, partition) => partition));
  const backlog = () => totalBacklog(bus, ARCHIVER_GROUP, streams);
  // Scale-out: queries go to the worker processes, which hold the archives.
  const remote = scaleOut ? await RemoteQuery.start(config.redisUrl!, config.region, config.partitions) : undefined;
  const loop = new LoopHealth();
  const stopWorkers = async () => {
    loop.close();
    await dispatcher?.stop();
    await pool?.close();
    remote?.close();
    analytics?.close();
    await alerts.close();
    await unlock?.();
  };
  let server: RunningServer;
  try {
    server = await startServer(config, { intake, metrics, query: pool ? (q) => pool.query(q) : (q) => remote!.query(q), health: async () => withClockCorrections(pool ? await pool.health() : (await remote!.health(Date.now() * 1000)).devices, intake.clocks), alerts, windows, gauges: () => ({ ...loop.gauges(), ...alerts.gauges() }), counters: () => dispatcher?.counters() ?? {}, sharePort: scaleOut });
  } catch (err) {
    await stopWorkers();
    await bus.close();
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
    alerts,
    windows,
    backlog,
    async stop() {
      server.close();
      const deadline = Date.now() + 10_000;
      // Embedded: wait until the workers have stored what was published; scale-out: until Redis has it.
      while ((metrics.inFlightBytes > 0 || (pool && (await backlog()) > 0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await stopWorkers();
      await bus.close();
    },
  };
}

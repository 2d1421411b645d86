#!/usr/bin/env node
// iotpipe's command line: `start` (server + simulated fleet: the main job), `serve`, `simulate`.
import { parseArgs } from "node:util";
import { hostname } from "node:os";
import { redisClient } from "../pipeline/redis-client.js";
import { loadConfig, ConfigError, type Config } from "../config.js";
import { StreamWorker } from "../workers/stream-worker.js";
import { QueryResponder } from "../workers/remote-query.js";
import { AnalyticsPublisher } from "../workers/analytics-channels.js";
import { RedisStreamsBus } from "../pipeline/redis-streams-bus.js";
import { DeviceRegistry } from "../ingest/devices.js";
import { startIotpipe } from "../main.js";
import { Fleet, DEFAULT_FLEET } from "../sim/fleet.js";
import { NO_CHAOS } from "../sim/chaos.js";
import { partitionOf } from "../pipeline/router.js";
import { startStatusLine } from "./status-line.js";
import { runNab } from "../eval/nab/run.js";
import { runFaultEvaluation, EVALUATION_FLEET } from "../eval/faults/run.js";
import { NabDataError } from "../eval/nab/corpus.js";
import { PartitionCountError } from "../workers/partition-count.js";
import { parseWindowSpecs } from "../analytics/windows/window-spec.js";
import { growHeapsForArchiving } from "./heap-growth.js";
import { WorkerMetrics } from "./worker-metrics.js";
import { serveMetrics } from "./metrics-endpoint.js";

const DEMO_WINDOWS = parseWindowSpecs([
  { name: "avg1m", tumbling: { sizeSeconds: 60 }, match: { channels: ["temperature", "pressure"] }, aggregates: ["mean", "min", "max", "p95"], allowedLatenessSeconds: 30 },
  { name: "avg5m", sliding: { sizeSeconds: 300, slideSeconds: 60 }, match: { channels: ["temperature"] }, aggregates: ["mean", "stddev"] },
  { name: "zone5m", sliding: { sizeSeconds: 300, slideSeconds: 60 }, groupBy: "zone", match: { channels: ["temperature"] }, aggregates: ["mean", "max", "count"] },
]);

const USAGE = `usage: iotpipe <command> [options]
  start      serve and run a simulated fleet against it (the embedded default)
  serve      run the ingest server, workers and archive (with --redis URL: ingest only, publishing to Redis)
  worker     archive partitions from Redis Streams (--redis URL), sharing them with other workers;
             its /metrics on --port N (default: any free port, printed)
  simulate   run a simulated fleet against a server (--url ws://127.0.0.1:8080/v1/ingest)
  faults     score sensor-health detection on a simulated fleet with chaos: faults [--seed N] [--hours H] [--devices N] [--json]
  nab        run the anomaly detector over a NAB corpus and score it: nab <dataDir> --out <resultsDir> [--json]
options: --config FILE  --port N  --data DIR  --redis URL  --name NAME  --devices N  --per-connection N
         --rate HZ  --format binary|json  --seed N  --no-chaos`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: "string" },
      port: { type: "string" },
      data: { type: "string" },
      url: { type: "string" },
      devices: { type: "string" },
      "per-connection": { type: "string" },
      rate: { type: "string" },
      format: { type: "string" },
      seed: { type: "string" },
      redis: { type: "string" },
      name: { type: "string" },
      "no-chaos": { type: "boolean" },
      out: { type: "string" },
      hours: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const command = positionals[0];
  if (values.help || !["start", "serve", "simulate", "worker", "nab", "faults"].includes(command)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  if (command === "nab") return nab(positionals[1], values.out, values.json === true);
  if (command === "faults") return faults(values, values.json === true);
  const fleetOptions = {
    ...DEFAULT_FLEET,
    devices: Number(values.devices ?? DEFAULT_FLEET.devices),
    devicesPerConnection: Number(values["per-connection"] ?? DEFAULT_FLEET.devicesPerConnection),
    rateHz: Number(values.rate ?? DEFAULT_FLEET.rateHz),
    format: (values.format ?? DEFAULT_FLEET.format) as "binary" | "json",
    seed: Number(values.seed ?? DEFAULT_FLEET.seed),
    chaos: values["no-chaos"] ? NO_CHAOS : DEFAULT_FLEET.chaos,
  };
  const tty = process.stdout.isTTY;
  const write = (line: string) => (tty ? process.stdout.write(`\r${line}\x1b[K`) : console.log(line));

  if (command === "simulate") {
    const fleet = new Fleet({ ...fleetOptions, url: values.url ?? "ws://127.0.0.1:8080/v1/ingest" });
    fleet.start();
    const timer = setInterval(() => {
      const s = fleet.stats();
      write(`sent ${s.readingsSent} | acked ${s.readingsAcked} | pending frames ${s.framesPending} | connected ${s.connected}/${s.connections} | ack p99 ${s.ackP99Ms.toFixed(1)} ms`);
    }, 1000);
    process.once("SIGINT", () => {
      clearInterval(timer);
      fleet.stop();
      console.log(`\n${fleet.truth.length} faults injected`);
      process.exit(0);
    });
    return;
  }

  const overrides: Record<string, unknown> = {};
  if (values.port) overrides.port = Number(values.port);
  if (values.data) overrides.dataDir = values.data;
  if (values.redis) overrides.redisUrl = values.redis;
  const config = loadConfig(values.config, process.env, overrides);
  // Processes that archive (a scale-out worker, or serve with its worker threads); an ingest-only
  // process holds connections, whose memory per connection is one of its figures.
  if (command === "worker" || !config.redisUrl) growHeapsForArchiving();
  if (command === "worker") return runWorker(config, values.name ?? `${hostname()}-${process.pid}`, values.port === undefined ? 0 : config.port, write);
  // The main job shows windows at work when the config defines none: rolling 1 and 5 minute averages.
  if (command === "start" && config.windows.length === 0) config.windows = DEMO_WINDOWS;
  const running = await startIotpipe(config);
  const url = `http://${config.host}:${running.port}`;
  console.log(`iotpipe listening on ${url}  (WS ${url.replace("http", "ws")}/v1/ingest, POST ${url}/v1/write, metrics ${url}/metrics)`);
  console.log(
    running.pool
      ? `data in ${config.dataDir}: ${config.partitions} partitions on ${running.pool.size} worker thread(s). Ctrl-C flushes and exits.`
      : `scale-out: publishing to Redis Streams at ${config.redisUrl}; run \`iotpipe worker\` processes to archive. Ctrl-C exits.`,
  );
  let fleet: Fleet | undefined;
  if (command === "start") {
    fleet = new Fleet({ ...fleetOptions, url: `ws://${config.host}:${running.port}/v1/ingest` });
    for (const d of fleet.devices()) await running.pool?.defineDevice(partitionOf(d.id, config.partitions), d.id, { zone: d.zone });
    fleet.start();
    console.log(`simulated fleet: ${fleetOptions.devices} devices × 4 channels at ${fleetOptions.rateHz} Hz, ${fleetOptions.format} frames, seed ${fleetOptions.seed}`);
  }
  const stopStatus = startStatusLine(running, write);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    stopStatus();
    fleet?.stop();
    write("stopping: flushing to the archive …");
    await running.stop();
    console.log(`\nstopped; ${running.metrics.readings.total()} readings stored in ${config.dataDir}`);
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

async function nab(dataDir: string | undefined, outDir: string | undefined, json: boolean): Promise<void> {
  if (!dataDir || !outDir) {
    console.error("usage: iotpipe nab <dataDir> --out <resultsDir> [--json]");
    process.exit(2);
  }
  const report = await runNab(dataDir, outDir);
  if (json) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(`iotpipe on ${report.files} series (${report.rows} rows); results in ${report.outDir}`);
  for (const r of report.results) {
    console.log(
      `${r.profile.padEnd(20)} ${r.normalized.toFixed(2).padStart(6)}   threshold ${r.threshold.toFixed(4)}, ${r.detectedWindows}/${r.windows} windows, ${r.falsePositiveRows} false-positive rows`,
    );
  }
}

async function faults(values: { seed?: string; hours?: string; devices?: string }, json: boolean): Promise<void> {
  const number = (text: string | undefined, fallback: number, name: string) => {
    const n = Number(text ?? fallback);
    if (!(n > 0)) throw new ConfigError(`--${name} must be a positive number, got ${text}`);
    return n;
  };
  const options = {
    ...EVALUATION_FLEET,
    seed: number(values.seed, EVALUATION_FLEET.seed, "seed"),
    hours: number(values.hours, EVALUATION_FLEET.hours, "hours"),
    devices: Math.round(number(values.devices, EVALUATION_FLEET.devices, "devices")),
  };
  const report = await runFaultEvaluation(options);
  if (json) {
    console.log(JSON.stringify({ readings: report.readings, series: report.series, faults: report.faults, seed: options.seed, hours: options.hours, kinds: report.kinds }));
    return;
  }
  console.log(`${options.devices} machines, ${options.hours} simulated hours (seed ${options.seed}): ${report.readings} readings, ${report.faults} faults injected`);
  for (const k of report.kinds) {
    const delay = k.medianDelaySeconds === null ? "—" : `${k.medianDelaySeconds.toFixed(1)} s`;
    console.log(`${k.kind.padEnd(6)} F1 ${k.f1.toFixed(3)}  precision ${k.precision.toFixed(3)}  recall ${k.recall.toFixed(3)}  (${k.found}/${k.faults} faults, ${k.correct}/${k.detections} detections)  median delay ${delay}`);
  }
}

async function runWorker(config: Config, name: string, metricsPort: number, write: (line: string) => void): Promise<void> {
  if (!config.redisUrl) throw new ConfigError("worker needs --redis URL (or IOTPIPE_REDIS_URL)");
  const redis = redisClient(config.redisUrl);
  // Signals and fired windows go to the ingest process (alert rules, WS /v1/windows, zone merging) over
  // Redis; the signal filter and the zone windows it completes come back. The worker hears the filter
  // in force before it consumes anything.
  let publisher: AnalyticsPublisher | undefined;
  const metrics = new WorkerMetrics();
  const running = await StreamWorker.create({
    bus: new RedisStreamsBus(config.redisUrl),
    redis,
    dataDir: config.dataDir,
    region: config.region,
    partitions: config.partitions,
    name,
    leaseTtlMs: 3000,
    registry: config.registryFile ? DeviceRegistry.load(config.registryFile) : undefined,
    log: (line) => console.log(`\n${line}`),
    analytics: { kernels: config.analytics, windows: config.windows, sinks: { signals: (s) => publisher?.signals(s), windows: (r) => publisher?.windows(r) } },
    onAppend: (timing) => metrics.appends.observe(timing),
  });
  publisher = await AnalyticsPublisher.start(config.redisUrl, config.region, name, {
    filter: (f) => running.setSignalFilter(f),
    zoneWindows: (results) => running.storeZoneWindows(results),
  });
  await running.run();
  const responder = await QueryResponder.start(config.redisUrl, config.region, { parts: (query, dryRun) => running.queryParts(query, dryRun), health: (now) => running.health(now) });
  const endpoint = await serveMetrics(config.host, metricsPort, () => metrics.render(running));
  console.log(`worker ${name}: archiving from ${config.redisUrl} into ${config.dataDir}; metrics http://${config.host}:${endpoint.port}/metrics`);
  const timer = setInterval(() => write(`partitions ${JSON.stringify(running.partitions)} | readings stored ${running.stats.readings}`), 1000);
  const shutdown = async () => {
    clearInterval(timer);
    await endpoint.close();
    responder.close();
    await running.stop();
    publisher?.close();
    redis.disconnect();
    console.log(`\nworker ${name} stopped`);
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof PartitionCountError) console.error(`configuration: ${err.message}`);
  else if (err instanceof NabDataError) console.error(`nab: ${err.message}`);
  else console.error(err);
  process.exit(1);
});

// Many concurrent idle-ish device connections, opened at a bounded rate from 127.0.0.2… (22 000 source
// ports each), then held while each sends one JSON reading every ~10 s. Reports what was held, the
// server's memory per connection, its CPU and the acks' latency. Servers and generators get `ulimit -n`
// raised as far as the hard limit allows. First one embedded server process, holding as many as its
// open-files limit lets it; then, when that is short of the goal (100 k), one machine in scale-out
// mode: as many `serve --redis` processes on one port as the goal needs, archiving through Redis
// Streams to `iotpipe worker` processes.
import { machineDetails, round, type Emit } from "./emit.js";
import { Generators } from "./generators.js";
import { serverMetrics, startIotpipeServer, type IotpipeServer } from "./iotpipe-server.js";
import { scaleOutUnsupported, startScaleOutNode } from "./scale-out-node.js";
import { CpuMeter, MachineMeter, hardFdLimit, openFds, peakRssBytes, rssBytes } from "./proc.js";
import type { GeneratorConfig } from "./protocol.js";
import type { IdleScenario } from "./scenarios.js";
import { BENCH_SEED } from "../datasets/prng.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1 << 20;
/** The fd limit asked for (the brief's `ulimit -n 200000`); the hard limit may lower it. */
const WANTED_FDS = 200_000;
/** Descriptors a process needs besides its connections (files, pipes, epoll, worker threads, WAL). */
const FD_RESERVE = 512;
/**
 * Source ports the generators choose themselves: 10 000 … 31 999, below the kernel's ephemeral range
 * (32 768 …), where other programs' outgoing connections take theirs.
 */
const FIRST_PORT = 10_000;
const PORTS_PER_ADDRESS = 22_000;
/** Connections per generator process at most (each holds one fd per connection, and Node objects). */
const PER_GENERATOR = 25_000;

export async function runIdleScenario(s: IdleScenario, emit: Emit, progress: (text: string) => void, profileDir: string | undefined): Promise<void> {
  const hard = hardFdLimit();
  const fdLimit = Math.min(hard, WANTED_FDS);
  const perProcess = fdLimit - FD_RESERVE;
  const limits = { fdLimit, hard };
  const one = Math.max(1, Math.min(s.connections, perProcess));
  const server = await startIotpipeServer({ fdLimit, profileDir });
  try {
    const limitedBy = one < s.connections ? `open-files hard limit ${hard} (ulimit -Hn): a process holds at most ${fdLimit} descriptors` : undefined;
    await holdFleet(s, one, [server], {}, { mode: "embedded", ingest_processes: 1, ...(limitedBy ? { limited_by: limitedBy } : {}) }, limits, emit, progress);
  } finally {
    await server.stop();
  }
  if (one === s.connections) return;
  const unsupported = scaleOutUnsupported();
  if (unsupported) {
    emit("skipped", null, null, { load: "idle", mode: "redis-streams", skipped: unsupported });
    return;
  }
  const servers = Math.ceil(s.connections / perProcess);
  const node = await startScaleOutNode({ workers: 2, servers, fdLimit, profileDir, progress });
  try {
    const others: Record<string, number> = { redis: node.redisPid };
    node.workerPids.forEach((pid, i) => (others[`worker${i}`] = pid));
    await holdFleet(s, s.connections, node.servers, others, { mode: "redis-streams", ingest_processes: servers, worker_processes: 2 }, limits, emit, progress);
  } finally {
    await node.stop();
  }
}

/**
 * Opens `target` connections to the servers' port, holds them, and emits what was held. `others`
 * (scale-out workers, Redis) are measured beside the servers: their memory grows with the devices.
 */
async function holdFleet(
  s: IdleScenario,
  target: number,
  servers: IotpipeServer[],
  others: Record<string, number>,
  mode: Record<string, unknown>,
  { fdLimit, hard }: { fdLimit: number; hard: number },
  emit: Emit,
  progress: (text: string) => void,
): Promise<void> {
  const perGenerator = Math.min(PER_GENERATOR, fdLimit - FD_RESERVE);
  const generators = Math.max(1, Math.ceil(target / perGenerator));
  const addresses = Math.ceil(target / PORTS_PER_ADDRESS);
  progress(`idle-connections (${mode.mode}): ${target} connections to ${servers.length} ingest process(es) (${generators} generator(s), ${addresses} source address(es), fd limit ${fdLimit})`);
  await sleep(500);
  const pids = servers.map((x) => x.pid);
  const otherPids = Object.values(others);
  const sumRss = (list: number[]) => list.reduce((n, pid) => n + rssBytes(pid), 0);
  const rssBefore = sumRss(pids);
  const othersBefore = Object.fromEntries(Object.entries(others).map(([name, pid]) => [name, rssBytes(pid)]));
  const configs: GeneratorConfig[] = [];
  for (let g = 0, first = 0; g < generators; g++) {
    const connections = Math.floor(target / generators) + (g < target % generators ? 1 : 0);
    configs.push({
      workload: { kind: "idle", channels: s.channels, sendEveryMs: s.sendEveryMs, connectPerSecond: s.connectPerSecond / generators, sourcePorts: { firstPort: FIRST_PORT, portsPerAddress: PORTS_PER_ADDRESS, slotStride: target } },
      url: `ws://127.0.0.1:${servers[0].port}/v1/ingest`,
      connections,
      firstConnection: first,
      window: 1,
      windowBytes: 1 << 20,
      seed: BENCH_SEED,
      startUs: Date.now() * 1000,
    });
    first += connections;
  }
  const { generators: gens } = await Generators.start(configs, fdLimit);
  try {
    // Ramp: until every connection is open, or opening stalls for 15 s, or the deadline.
    const rampStart = performance.now();
    const deadline = rampStart + ((target / s.connectPerSecond) * 3 + 30) * 1000;
    gens.command("start");
    let best = 0;
    let bestAt = performance.now();
    for (;;) {
      await sleep(500);
      const { open } = gens.progress();
      if (open > best) {
        best = open;
        bestAt = performance.now();
      }
      if (open >= target || performance.now() > deadline || performance.now() - bestAt > 15_000) break;
    }
    const rampSeconds = (performance.now() - rampStart) / 1000;
    const ramp = gens.progress();
    progress(`idle-connections (${mode.mode}): ${ramp.open} open after ${rampSeconds.toFixed(1)} s; holding ${s.holdSeconds} s`);

    gens.command("measure");
    const meters = pids.map((pid) => new CpuMeter(pid));
    const otherMeters = otherPids.map((pid) => new CpuMeter(pid));
    const machineMeter = new MachineMeter();
    await sleep(s.holdSeconds * 1000);
    const serverCores = meters.reduce((n, m) => n + m.cores(), 0);
    const othersCores = otherMeters.reduce((n, m) => n + m.cores(), 0);
    const machine = machineMeter.read();
    const rssAfter = sumRss(pids);
    const othersAfter = Object.fromEntries(Object.entries(others).map(([name, pid]) => [name, rssBytes(pid)]));
    const othersGrowth = Object.keys(others).reduce((n, name) => n + othersAfter[name] - othersBefore[name], 0);
    const peak = pids.reduce((n, pid) => n + peakRssBytes(pid), 0);
    const fds = pids.reduce((n, pid) => n + openFds(pid), 0);
    const counters = await Promise.all(servers.map((x) => serverMetrics(x.port)));
    const counted = (name: string) => counters.reduce((n, c) => n + (c[name] ?? 0), 0);
    const w = await gens.stop();
    await gens.drained();
    const held = w.open;
    const context = { load: "idle", ...mode, target };
    emit("connections_held", held, "connections", {
      ...context,
      wanted: s.connections,
      fd_hard_limit: hard,
      server_open_connections: counted("iotpipe_open_connections"),
      server_open_fds: fds,
      ramp_seconds: round(rampSeconds, 1),
      open_after_ramp: ramp.open,
      connect_failures: ramp.failed,
      closed_during_hold: w.closed,
      hold_seconds: s.holdSeconds,
      source_addresses: addresses,
      generators,
      generator_cores: round(w.generatorCores, 2),
      server_refused_total: counted("iotpipe_connections_refused_total"),
    });
    emit("server_rss_mb", round(rssAfter / MiB, 1), "MiB", { ...context, rss_before_connections_mb: round(rssBefore / MiB, 1), peak_rss_mb: round(peak / MiB, 1) });
    emit("server_rss_per_connection_kb", held > 0 ? round((rssAfter - rssBefore) / held / 1024, 2) : null, "KiB/connection", {
      ...context,
      measured: `(VmRSS after the hold − VmRSS before any connection)${servers.length > 1 ? ", summed over the ingest processes," : ""} ÷ connections held`,
    });
    if (otherPids.length > 0) {
      emit("node_rss_per_connection_kb", held > 0 ? round((rssAfter - rssBefore + othersGrowth) / held / 1024, 2) : null, "KiB/connection", {
        ...context,
        rss_growth_mb: {
          ingest: round((rssAfter - rssBefore) / MiB, 1),
          ...Object.fromEntries(Object.keys(others).map((name) => [name, round((othersAfter[name] - othersBefore[name]) / MiB, 1)])),
        },
        measured: "growth of VmRSS of every process of the node (ingest, workers holding the devices' series, Redis) ÷ connections held",
      });
    }
    emit("server_cpu_cores", round(serverCores, 3), "cores", {
      ...context,
      ...(otherPids.length > 0 ? { others_cores: round(othersCores, 3) } : {}),
      ...machineDetails(machine, serverCores + othersCores + w.generatorCores),
    });
    emit("readings_per_s", round(w.readingsPerSecond, 1), "readings/s", {
      ...context,
      frames_acked: w.framesAcked,
      retry_answers: w.retryAnswers,
      frame_errors: w.frameErrors,
      ...(w.firstError ? { first_error: w.firstError } : {}),
      send_every_ms: s.sendEveryMs,
    });
    const latency = { ...context, samples: w.latency.count };
    emit("ack_latency_p50_ms", w.latency.quantile(0.5) === null ? null : round(w.latency.quantile(0.5)!, 3), "ms", latency);
    emit("ack_latency_p99_ms", w.latency.quantile(0.99) === null ? null : round(w.latency.quantile(0.99)!, 3), "ms", { ...latency, max_ms: round(w.latency.max, 3) });
  } finally {
    await gens.kill();
  }
}

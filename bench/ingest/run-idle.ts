// Many concurrent idle-ish device connections: as many as the open-files limit lets one server hold
// (the goal is 100 k), opened at a bounded rate from 127.0.0.2… (22 000 source ports each), then held
// while each sends one JSON reading every ~10 s. Reports what was held, the server's memory per
// connection, its CPU and the acks' latency. Server and generators get `ulimit -n` raised as far as
// the hard limit allows.
import { machineDetails, round, type Emit } from "./emit.js";
import { Generators } from "./generators.js";
import { serverMetrics, startIotpipeServer } from "./iotpipe-server.js";
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
  const target = Math.max(1, Math.min(s.connections, fdLimit - FD_RESERVE));
  const perGenerator = Math.min(PER_GENERATOR, fdLimit - FD_RESERVE);
  const generators = Math.max(1, Math.ceil(target / perGenerator));
  const addresses = Math.ceil(target / PORTS_PER_ADDRESS);
  const limitedBy = target < s.connections ? `open-files hard limit ${hard} (ulimit -Hn): the server holds at most ${fdLimit} descriptors` : undefined;
  progress(`idle-connections: ${target} connections (${generators} generator(s), ${addresses} source address(es), fd limit ${fdLimit})`);

  const server = await startIotpipeServer({ fdLimit, profileDir });
  try {
    await sleep(500);
    const rssBefore = rssBytes(server.pid);
    const configs: GeneratorConfig[] = [];
    for (let g = 0, first = 0; g < generators; g++) {
      const connections = Math.floor(target / generators) + (g < target % generators ? 1 : 0);
      configs.push({
        workload: { kind: "idle", channels: s.channels, sendEveryMs: s.sendEveryMs, connectPerSecond: s.connectPerSecond / generators, sourcePorts: { firstPort: FIRST_PORT, portsPerAddress: PORTS_PER_ADDRESS, slotStride: target } },
        url: `ws://127.0.0.1:${server.port}/v1/ingest`,
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
    let rampSeconds = 0;
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
      rampSeconds = (performance.now() - rampStart) / 1000;
      const ramp = gens.progress();
      progress(`idle-connections: ${ramp.open} open after ${rampSeconds.toFixed(1)} s; holding ${s.holdSeconds} s`);

      gens.command("measure");
      const meter = new CpuMeter(server.pid);
      const machineMeter = new MachineMeter();
      await sleep(s.holdSeconds * 1000);
      const serverCores = meter.cores();
      const machine = machineMeter.read();
      const rssAfter = rssBytes(server.pid);
      const peak = peakRssBytes(server.pid);
      const fds = openFds(server.pid);
      const counters = await serverMetrics(server.port);
      const w = await gens.stop();
      await gens.drained();
      const held = w.open;
      const context = { load: "idle", target };
      emit("connections_held", held, "connections", {
        ...context,
        wanted: s.connections,
        ...(limitedBy ? { limited_by: limitedBy } : {}),
        fd_hard_limit: hard,
        server_open_connections: counters.iotpipe_open_connections,
        server_open_fds: fds,
        ramp_seconds: round(rampSeconds, 1),
        open_after_ramp: ramp.open,
        connect_failures: ramp.failed,
        closed_during_hold: w.closed,
        hold_seconds: s.holdSeconds,
        source_addresses: addresses,
        generators,
        generator_cores: round(w.generatorCores, 2),
        server_refused_total: counters.iotpipe_connections_refused_total ?? 0,
      });
      emit("server_rss_mb", round(rssAfter / MiB, 1), "MiB", { ...context, rss_before_connections_mb: round(rssBefore / MiB, 1), peak_rss_mb: round(peak / MiB, 1) });
      emit("server_rss_per_connection_kb", held > 0 ? round((rssAfter - rssBefore) / held / 1024, 2) : null, "KiB/connection", {
        ...context,
        measured: "(VmRSS after the hold − VmRSS before any connection) ÷ connections held",
      });
      emit("server_cpu_cores", round(serverCores, 3), "cores", { ...context, ...machineDetails(machine, serverCores + w.generatorCores) });
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
  } finally {
    await server.stop();
  }
}

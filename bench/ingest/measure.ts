// One measured load against one server process: generators build their frames and connect, send for
// a warm-up, then for the measured window (server CPU and memory sampled at its edges from /proc),
// then stop sending and drain every frame in flight. Readings/s counts only acknowledgements inside
// the window, and an acknowledgement means durable (iotpipe acks after the WAL fsync).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Generators, type MergedWindow, type ReadyTotals } from "./generators.js";
import { CpuMeter, MachineMeter, ThreadMeter, peakRssBytes, rssBytes, storageWriteBytes } from "./proc.js";
import { MAX_RESTAMPS } from "./frames.js";
import type { DrainStats, GeneratorConfig } from "./protocol.js";
import type { LoadScenario } from "./scenarios.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Measured {
  ready: ReadyTotals;
  window: MergedWindow;
  drain: DrainStats;
  serverCores: number;
  /** The server's busiest threads over the window (cores). */
  serverThreads: Record<string, number>;
  rss: number;
  peakRss: number;
  /** Bytes the server wrote to storage per second over the window (/proc/<pid>/io). */
  diskWriteBytesPerSecond: number;
  /** Seconds from spawning the generators to their "ready" (building frames, connecting). */
  setupSeconds: number;
  /** The whole machine over the window. */
  machine: { busyCores: number; cpuPressurePct: number | null };
  /** Cores and RSS of the other processes named in `others` (scale-out workers, Redis). */
  others: Record<string, { cores: number; rss: number }>;
}

/** More processes to meter over the window, and hooks at its edges. */
export interface MeasureExtras {
  others?: Record<string, number>;
  atWindowStart?: () => void;
  atWindowEnd?: () => void;
}

/** Seconds of data one connection's pool spans (1 Hz per series). */
export function spanSeconds(s: LoadScenario): number {
  const w = s.workload;
  switch (w.kind) {
    case "binary":
      return Math.ceil(w.readingsPerConnection / (w.devicesPerConnection * w.channels.length)) + 1;
    case "blocks": {
      const perWindow = w.devicesPerConnection * w.channels.length * w.blockPoints;
      return Math.ceil(w.readingsPerConnection / perWindow) * w.blockPoints + 1;
    }
    case "json":
      return Math.ceil((w.framesPerConnection * w.readingsPerFrame) / w.channels.length) + 1;
    case "line":
      return Math.ceil((w.batchesPerConnection * w.linesPerBatch) / w.devicesPerConnection) + 1;
  }
}

/** Splits a scenario's connections over its generators. */
export function generatorConfigs(s: LoadScenario, url: string, seed: number, rate?: number): GeneratorConfig[] {
  // The data ends ten minutes before now: inside the server's accepted range (≤ 5 min ahead, ≤ 1 year
  // back). Line-protocol pools are sent again shifted forward in time: they start further back.
  const passes = s.workload.kind === "line" ? 1 + MAX_RESTAMPS : 1;
  const startUs = (Math.floor(Date.now() / 1000) - spanSeconds(s) * passes - 600) * 1_000_000;
  const configs: GeneratorConfig[] = [];
  let first = 0;
  for (let g = 0; g < s.generators; g++) {
    const connections = Math.floor(s.connections / s.generators) + (g < s.connections % s.generators ? 1 : 0);
    configs.push({
      workload: s.workload,
      url,
      connections,
      firstConnection: first,
      window: s.window,
      windowBytes: s.windowBytes,
      ...(rate === undefined ? {} : { rate: (rate * connections) / s.connections }),
      seed,
      startUs,
    });
    first += connections;
  }
  return configs;
}

export async function measureLoad(s: LoadScenario, url: string, serverPid: number, seed: number, rate?: number, extras: MeasureExtras = {}): Promise<Measured> {
  const started = performance.now();
  const { generators, ready } = await Generators.start(generatorConfigs(s, url, seed, rate));
  try {
    const setupSeconds = (performance.now() - started) / 1000;
    generators.command("start");
    await sleep(s.warmupSeconds * 1000);
    generators.command("measure");
    const meter = new CpuMeter(serverPid);
    const threadMeter = new ThreadMeter(serverPid);
    const written = storageWriteBytes(serverPid);
    const windowStart = performance.now();
    const machineMeter = new MachineMeter();
    const otherMeters = Object.entries(extras.others ?? {}).map(([name, pid]) => [name, pid, new CpuMeter(pid)] as const);
    extras.atWindowStart?.();
    await sleep(s.measureSeconds * 1000);
    extras.atWindowEnd?.();
    const serverCores = meter.cores();
    const serverThreads = threadMeter.read();
    const diskWriteBytesPerSecond = (storageWriteBytes(serverPid) - written) / ((performance.now() - windowStart) / 1000);
    const machine = machineMeter.read();
    const others = Object.fromEntries(otherMeters.map(([name, pid, m]) => [name, { cores: m.cores(), rss: rssBytes(pid) }]));
    const rss = rssBytes(serverPid);
    const peakRss = peakRssBytes(serverPid);
    const window = await generators.stop();
    const drain = await generators.drained();
    return { ready, window, drain, serverCores, serverThreads, diskWriteBytesPerSecond, rss, peakRss, setupSeconds, machine, others };
  } finally {
    await generators.kill();
  }
}

/** Bytes of the files under `dir` (apparent sizes), and the part of them in WAL files. */
export async function diskBytes(dir: string): Promise<{ total: number; wal: number }> {
  const out = { total: 0, wal: 0 };
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const inner = await diskBytes(path);
      out.total += inner.total;
      out.wal += inner.wal;
    } else if (e.isFile()) {
      const size = (await stat(path).catch(() => ({ size: 0 }))).size;
      out.total += size;
      if (e.name.endsWith(".wal")) out.wal += size;
    }
  }
  return out;
}

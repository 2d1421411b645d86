// `iotpipe serve` (the built dist/cli) as a separate process for one scenario: a new temporary data
// directory, an optional config file, an optional fd limit and CPU profile; reports its port, pid
// and worker count, and on stop flushes (SIGINT), waits, and removes the directory.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exitOf, spawnWithFdLimit } from "./launch.js";
import { quantileOf } from "../../src/server/metrics.js";

export const CLI = fileURLToPath(new URL("../../dist/cli/iotpipe.js", import.meta.url));

export interface ServerOptions {
  /** Written to a config file and passed with --config (e.g. `{ limits: { … } }`). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  fdLimit?: number;
  /** Directory for `node --cpu-prof` output; absent: no profile. */
  profileDir?: string;
  /** More `serve` arguments (e.g. `--redis URL`). */
  args?: string[];
  /** The port to listen on (default: any free one); scale-out ingest processes may share one. */
  port?: number;
}

export interface IotpipeServer {
  port: number;
  pid: number;
  /** Worker threads archiving in this process; 0 in scale-out mode (separate `iotpipe worker` processes). */
  workers: number;
  dataDir: string;
  /** The server's stdout and stderr so far (last 8 kB). */
  output(): string;
  /** SIGINT (flush, exit), waits (SIGKILL after 60 s), removes the data directory; resolves with seconds taken. */
  stop(): Promise<number>;
}

export function startIotpipeServer(options: ServerOptions = {}): Promise<IotpipeServer> {
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-ingest-"));
  const dataDir = join(dir, "data");
  const args = [CLI, "serve", "--port", String(options.port ?? 0), "--data", dataDir, ...(options.args ?? [])];
  if (options.config) {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(options.config));
    args.push("--config", file);
  }
  if (options.profileDir) args.unshift("--cpu-prof", "--cpu-prof-dir", options.profileDir);
  const child = spawnWithFdLimit(process.execPath, args, options.fdLimit, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8192));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`iotpipe serve ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail("did not start in 30 s"), 30_000);
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before listening`));
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      const w = /on (\d+) worker thread|(scale-out)/.exec(output);
      if (!m || !w) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout!.off("data", onData);
      resolve({
        port: Number(m[1]),
        pid: child.pid!,
        workers: w[2] ? 0 : Number(w[1]),
        dataDir,
        output: () => output,
        stop: async () => {
          const started = performance.now();
          child.kill("SIGINT");
          await exitOf(child, 60_000);
          process.removeListener("exit", kill);
          rmSync(dir, { recursive: true, force: true });
          return (performance.now() - started) / 1000;
        },
      });
    };
    child.stdout!.on("data", onData);
  });
}

/** Counters and gauges of a process's /metrics at `url` (label sets summed). */
export async function metricsAt(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    out[name] = (out[name] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return out;
}

/** Counters and gauges of the server's /metrics (label sets summed). */
export function serverMetrics(port: number): Promise<Record<string, number>> {
  return metricsAt(`http://127.0.0.1:${port}/metrics`);
}

/** The server's latency histograms the bench reports. */
export const SERVER_HISTOGRAMS = ["iotpipe_ack_latency_seconds", "iotpipe_archive_append_seconds", "iotpipe_wal_fsync_seconds"] as const;
export type ServerHistogram = (typeof SERVER_HISTOGRAMS)[number];

/**
 * Quantiles (ms) of the server's latency histograms since it started (one /metrics read), interpolated in
 * their buckets. iotpipe_ack_latency_seconds is what the server adds to an acknowledgement (frame decoded
 * → durable), without the generator's queueing; the other two are the parts of it spent appending.
 */
export function serverQuantiles(port: number, qs: number[]): Promise<Record<ServerHistogram, (number | null)[]>> {
  return histogramQuantiles([`http://127.0.0.1:${port}/metrics`], SERVER_HISTOGRAMS, qs);
}

/** Quantiles (ms) of latency histograms summed over the processes whose /metrics are at `urls` (one read each). */
export async function histogramQuantiles<H extends string>(urls: string[], histograms: readonly H[], qs: number[]): Promise<Record<H, (number | null)[]>> {
  const texts = await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
  return Object.fromEntries(histograms.map((h) => [h, quantilesIn(texts, h, qs)])) as Record<H, (number | null)[]>;
}

/** The texts' buckets of `histogram`, summed (every process renders LatencyHistogram.BOUNDS), as quantileOf's counts. */
function quantilesIn(texts: string[], histogram: string, qs: number[]): (number | null)[] {
  const cumulative = new Map<number, number>();
  for (const text of texts) {
    for (const m of text.matchAll(new RegExp(`^${histogram}_bucket\\{le="([^"]+)"\\} (\\d+)$`, "gm"))) {
      const le = m[1] === "+Inf" ? Infinity : Number(m[1]);
      cumulative.set(le, (cumulative.get(le) ?? 0) + Number(m[2]));
    }
  }
  const sorted = [...cumulative].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  const counts = sorted.map((n, i) => n - (i === 0 ? 0 : sorted[i - 1]));
  return qs.map((q) => {
    const ms = quantileOf(counts, q);
    return Number.isNaN(ms) ? null : ms;
  });
}

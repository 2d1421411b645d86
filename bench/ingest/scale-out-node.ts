// One machine in scale-out mode: a Redis server (temporary directory, append-only file fsynced every
// second), `iotpipe worker` processes archiving from its streams, and `iotpipe serve --redis URL`
// ingest processes (one, or several sharing a port: the kernel spreads connections among them).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, metricsAt, startIotpipeServer, type IotpipeServer } from "./iotpipe-server.js";
import { exitOf } from "./launch.js";
import { freePort } from "../free-port.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why scale-out mode cannot be measured here, or undefined when it can. */
export function scaleOutUnsupported(): string | undefined {
  const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8", timeout: 20_000 });
  const text = `${help.stdout}${help.stderr}`;
  if (!/--redis/.test(text) || !/\bworker\b/.test(text)) {
    return "`iotpipe --help` offers no `--redis URL` / `worker` command yet: the server only runs the in-process MemoryBus";
  }
  if (spawnSync("bash", ["-c", "command -v redis-server"]).status !== 0) return "redis-server is not installed (the bench does not install it)";
  return undefined;
}

/** A child whose stdout is kept (last 8 kB) and watched for a line. */
function watched(child: ChildProcess): { output: () => string; waitFor: (re: RegExp, ms: number, what: string) => Promise<RegExpExecArray> } {
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8192));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    output: () => output,
    async waitFor(re, ms, what) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(output);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`${what}: no ${re} in ${ms} ms:\n${output}`);
        await sleep(50);
      }
    },
  };
}

export interface NodeOptions {
  workers: number;
  /** Ingest processes, all on one port (default 1). */
  servers?: number;
  /** Open-files limit for each ingest process. */
  fdLimit?: number;
  profileDir?: string;
  progress: (text: string) => void;
}

export interface ScaleOutNode {
  redisPid: number;
  workerPids: number[];
  /** The first ingest process (all of them listen on its port). */
  server: IotpipeServer;
  servers: IotpipeServer[];
  /** Each worker process's /metrics. */
  workerMetrics: string[];
  /** Readings the workers have stored so far (read from their /metrics). */
  stored(): Promise<number>;
  /** Stops the ingest process, the workers (SIGINT: they checkpoint) and Redis; removes the files. */
  stop(): Promise<void>;
}

export async function startScaleOutNode(o: NodeOptions): Promise<ScaleOutNode> {
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-ingest-redis-"));
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.kill("SIGKILL"));
  process.once("exit", killAll);
  const cleanUp = () => {
    killAll();
    process.removeListener("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redisPort = await freePort();
    const url = `redis://127.0.0.1:${redisPort}`;
    mkdirSync(join(dir, "redis"));
    const redis = spawn(
      "redis-server",
      ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", join(dir, "redis"), "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--maxclients", "1000"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(redis);
    await watched(redis).waitFor(/Ready to accept connections/, 20_000, "redis-server");
    o.progress(`redis: redis-server on ${redisPort}, serve --redis, ${o.workers} worker process(es)`);
    const dataDir = join(dir, "archive");
    const workers = Array.from({ length: o.workers }, (_, i) => {
      const args = [CLI, "worker", "--redis", url, "--data", dataDir, "--name", `bench-w${i}`];
      if (o.profileDir) args.unshift("--cpu-prof", "--cpu-prof-dir", o.profileDir);
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return { child, ...watched(child) };
    });
    const workerMetrics = (await Promise.all(workers.map((w, i) => w.waitFor(/archiving from .*metrics (http:\S+)/, 30_000, `worker ${i}`)))).map((m) => m[1]);
    const start = (port?: number) => startIotpipeServer({ args: ["--redis", url], profileDir: o.profileDir, fdLimit: o.fdLimit, port });
    // Several ingest processes share a port chosen here: Linux lets no other socket join one the
    // kernel picked (port 0) with SO_REUSEPORT.
    const shared = (o.servers ?? 1) > 1 ? await freePort() : undefined;
    const servers = [await start(shared)];
    try {
      for (let i = 1; i < (o.servers ?? 1); i++) servers.push(await start(shared));
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
    return {
      redisPid: redis.pid!,
      workerPids: workers.map((w) => w.child.pid!),
      server: servers[0],
      servers,
      workerMetrics,
      stored: async () => (await Promise.all(workerMetrics.map(metricsAt))).reduce((n, m) => n + (m.iotpipe_worker_readings_stored_total ?? 0), 0),
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
        for (const w of workers) w.child.kill("SIGINT");
        await Promise.all(workers.map((w) => exitOf(w.child, 30_000)));
        redis.kill("SIGTERM");
        await exitOf(redis, 30_000);
        cleanUp();
      },
    };
  } catch (err) {
    cleanUp();
    throw err;
  }
}

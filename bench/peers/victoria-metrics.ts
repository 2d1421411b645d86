// VictoriaMetrics (single-node) as a peer store: finds the Debian package's binary, runs it on
// 127.0.0.1 with its own temporary data directory, feeds it Influx line protocol, forces its
// in-memory rows to disk and its parts merged, and answers MetricsQL over HTTP. Owns the child
// process and the directory: stop() ends the one and removes the other.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "../free-port.js";

/** Where the `victoria-metrics` binary is, or undefined when it is not installed. */
export function findVictoriaMetrics(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean).concat(["/usr/bin", "/usr/local/bin"]);
  for (const dir of dirs) {
    const candidate = join(dir, "victoria-metrics");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binary's version: what `-version` prints, else the Debian package's version, else "unknown". */
export function versionOf(binary: string): string {
  const own = spawnSync(binary, ["-version"], { encoding: "utf8", timeout: 10_000 });
  const text = `${own.stdout ?? ""}${own.stderr ?? ""}`.trim().split("\n")[0];
  if (text) return text;
  // Debian's build leaves the version string empty.
  const deb = spawnSync("dpkg-query", ["-W", "-f", "${Version}", "victoria-metrics"], { encoding: "utf8", timeout: 10_000 });
  return deb.status === 0 && deb.stdout ? `${deb.stdout.trim()} (Debian package)` : "unknown";
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A MetricsQL answer with the time the HTTP round trip took. */
export interface PromAnswer {
  ms: number;
  /** `data.result` of the response: a vector or a matrix. */
  result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
}

/** A running VictoriaMetrics with a temporary data directory. */
export class VictoriaMetrics {
  readonly binary: string;
  readonly dataDir: string;
  readonly port: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  /** If the bench exits while this runs (an error, Ctrl-C): end the child and remove its data. */
  readonly #onExit = () => {
    this.#child?.kill("SIGKILL");
    rmSync(this.dataDir, { recursive: true, force: true });
  };

  private constructor(binary: string, dataDir: string, port: number) {
    this.binary = binary;
    this.dataDir = dataDir;
    this.port = port;
  }

  /** Starts it on 127.0.0.1 on a free port, in a new temporary directory. */
  static async start(binary: string): Promise<VictoriaMetrics> {
    const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-vm-"));
    const vm = new VictoriaMetrics(binary, dir, await freePort());
    process.once("exit", vm.#onExit);
    try {
      await vm.#launch();
    } catch (err) {
      await vm.stop();
      throw err;
    }
    return vm;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async #launch(): Promise<void> {
    const args = [
      `-httpListenAddr=127.0.0.1:${this.port}`,
      `-storageDataPath=${join(this.dataDir, "storage")}`,
      // The data is years old: keep everything.
      "-retentionPeriod=100y",
      // Compare the stores, not VictoriaMetrics' rollup result cache (iotpipe has none).
      "-search.disableCache",
      // One device-year is 31.5 M samples, over the default limit of 30 M per series.
      "-search.maxSamplesPerSeries=1000000000",
      "-search.maxSamplesPerQuery=2000000000",
      "-search.maxQueryDuration=30m",
      "-search.maxPointsPerTimeseries=1000000",
      "-loggerLevel=ERROR",
    ];
    const child = spawn(this.binary, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`victoria-metrics exited with ${child.exitCode}: ${stderr}`);
      try {
        const res = await fetch(`${this.url}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`victoria-metrics did not become healthy in 60 s: ${stderr}`);
      await sleep(50);
    }
  }

  async #shutdown(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    await this.#exited;
    clearTimeout(timer);
    this.#child = undefined;
  }

  /** Stops it gracefully and starts it again on the same data: its caches are empty afterwards. */
  async restart(): Promise<void> {
    await this.#shutdown();
    await this.#launch();
  }

  /** Stops it and removes its data directory. */
  async stop(): Promise<void> {
    await this.#shutdown();
    process.removeListener("exit", this.#onExit);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Posts Influx line protocol to /write; resolves when it has been accepted (not yet on disk). */
  async write(lines: Uint8Array<ArrayBuffer> | string, precision: "ns" | "u" | "ms" | "s" = "ms"): Promise<void> {
    const res = await fetch(`${this.url}/write?precision=${precision}`, { method: "POST", body: lines });
    if (res.status !== 204 && res.status !== 200) throw new Error(`/write answered ${res.status}: ${await res.text()}`);
  }

  async #internal(path: string): Promise<void> {
    const res = await fetch(`${this.url}${path}`);
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }

  /** Writes the rows buffered in memory to disk parts. */
  forceFlush(): Promise<void> {
    return this.#internal("/internal/force_flush");
  }

  /** Starts merging every partition into as few parts as it can (runs in the background). */
  forceMerge(): Promise<void> {
    return this.#internal("/internal/force_merge");
  }

  /** Its /metrics, as name{labels} → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const at = line.lastIndexOf(" ");
      out.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return out;
  }

  /** Sum of every series of metric `name` (all label sets). */
  static total(metrics: Map<string, number>, name: string): number {
    let sum = 0;
    for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) sum += value;
    return sum;
  }

  /** Waits until no merge, forced or background, is running and no row is pending in memory. */
  async waitIdle(timeoutMs = 30 * 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietPolls = 0;
    while (quietPolls < 3) {
      const m = await this.metrics();
      const busy =
        VictoriaMetrics.total(m, "vm_active_force_merges") + VictoriaMetrics.total(m, "vm_active_merges") + VictoriaMetrics.total(m, "vm_pending_rows");
      quietPolls = busy === 0 ? quietPolls + 1 : 0;
      if (Date.now() > deadline) throw new Error("victoria-metrics kept merging past the timeout");
      await sleep(200);
    }
  }

  /**
   * Merges until the part count stops falling (a forced merge skips parts that a background merge
   * holds, so one round can leave several); returns the rounds and the parts left.
   */
  async mergeFully(maxRounds = 5): Promise<{ rounds: number; parts: number }> {
    await this.waitIdle();
    let parts = VictoriaMetrics.total(await this.metrics(), "vm_parts");
    for (let round = 1; ; round++) {
      await this.forceMerge();
      await this.waitIdle();
      const left = VictoriaMetrics.total(await this.metrics(), "vm_parts");
      if (left >= parts || round === maxRounds) return { rounds: round, parts: left };
      parts = left;
    }
  }

  async #get(path: string, params: Record<string, string>): Promise<PromAnswer> {
    const started = performance.now();
    const res = await fetch(`${this.url}${path}?${new URLSearchParams({ ...params, nocache: "1" })}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: PromAnswer["result"] } };
    const ms = performance.now() - started;
    if (!res.ok || body.status !== "success") throw new Error(`${path} ${params.query}: ${res.status} ${body.error ?? ""}`);
    return { ms, result: body.data!.result };
  }

  /** An instant query at `timeSeconds` (ms resolution). */
  query(promql: string, timeSeconds: number): Promise<PromAnswer> {
    return this.#get("/api/v1/query", { query: promql, time: timeSeconds.toFixed(3) });
  }

  /** A range query evaluated at start, start + step, … ≤ end (seconds). */
  queryRange(promql: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<PromAnswer> {
    return this.#get("/api/v1/query_range", {
      query: promql,
      start: startSeconds.toFixed(3),
      end: endSeconds.toFixed(3),
      step: `${stepSeconds}s`,
    });
  }
}

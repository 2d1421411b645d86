// The bench's side of its load generators: starts them (`node --import tsx load-generator.ts`), each
// with its share of the connections, sends commands to all at once, and merges what they report.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LatencyHistogram } from "./histogram.js";
import { exitOf, spawnWithFdLimit } from "./launch.js";
import { cpuSeconds } from "./proc.js";
import type { DrainStats, GeneratorCommand, GeneratorConfig, GeneratorMessage, WindowStats } from "./protocol.js";

const ENTRY = fileURLToPath(new URL("./load-generator.ts", import.meta.url));

type Ready = Extract<GeneratorMessage, { type: "ready" }>;

class Generator {
  readonly child: ChildProcess;
  readonly #inbox: GeneratorMessage[] = [];
  #waiter: (() => void) | undefined;
  #stderr = "";
  #exited = false;
  lastProgress: Extract<GeneratorMessage, { type: "progress" }> | undefined;

  constructor(config: GeneratorConfig, fdLimit: number | undefined) {
    this.child = spawnWithFdLimit(process.execPath, ["--import", "tsx", ENTRY, JSON.stringify(config)], fdLimit, {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      let m: GeneratorMessage;
      try {
        m = JSON.parse(line) as GeneratorMessage;
      } catch {
        this.#stderr += `\n(stdout) ${line}`;
        return;
      }
      if (m.type === "progress") this.lastProgress = m;
      else this.#inbox.push(m);
      this.#waiter?.();
    });
    this.child.once("exit", () => {
      this.#exited = true;
      this.#waiter?.();
    });
  }

  send(cmd: GeneratorCommand): void {
    this.child.stdin!.write(cmd + "\n");
  }

  async receive<T extends GeneratorMessage["type"]>(type: T, timeoutMs: number): Promise<Extract<GeneratorMessage, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = this.#inbox.shift();
      if (m?.type === "error") throw new Error(`load generator failed: ${m.message}\n${this.#stderr}`);
      if (m?.type === type) return m as Extract<GeneratorMessage, { type: T }>;
      if (m) throw new Error(`load generator said ${m.type}, expected ${type}`);
      if (this.#exited) throw new Error(`load generator exited (${this.child.exitCode}) before ${type}:\n${this.#stderr}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`load generator sent no ${type} in ${timeoutMs} ms:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          this.#waiter = undefined;
          resolve();
        };
      });
    }
  }
}

/** The merged window of every generator. */
export interface MergedWindow {
  /** Longest generator window (s). */
  seconds: number;
  /** Σ over generators of their readings acked / their own window. */
  readingsPerSecond: number;
  framesPerSecond: number;
  bytesPerSecond: number;
  readingsAcked: number;
  framesAcked: number;
  readingsRejected: number;
  retryAnswers: number;
  resent: number;
  frameErrors: number;
  firstError: string | undefined;
  latency: LatencyHistogram;
  poolWraps: number;
  lagMeanMs: number | undefined;
  lagMaxMs: number | undefined;
  /** CPU of the generator processes over the window (cores, measured by each from process.cpuUsage). */
  generatorCores: number;
  open: number;
  closed: number;
}

export interface ReadyTotals {
  connections: number;
  frames: number;
  readings: number;
  bytes: number;
  buildSeconds: number;
  failed: Record<string, number>;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** A set of load generator processes working as one. */
export class Generators {
  readonly #all: Generator[];

  private constructor(all: Generator[]) {
    this.#all = all;
  }

  /** Starts one generator per config; resolves once every one has built its frames and connected. */
  static async start(configs: GeneratorConfig[], fdLimit?: number, readyTimeoutMs = 300_000): Promise<{ generators: Generators; ready: ReadyTotals }> {
    const all = configs.map((c) => new Generator(c, fdLimit));
    const generators = new Generators(all);
    try {
      const ready: Ready[] = await Promise.all(all.map((g) => g.receive("ready", readyTimeoutMs)));
      const failed: Record<string, number> = {};
      for (const r of ready) addCounts(failed, r.failed);
      return {
        generators,
        ready: {
          connections: ready.reduce((n, r) => n + r.connections, 0),
          frames: ready.reduce((n, r) => n + r.frames, 0),
          readings: ready.reduce((n, r) => n + r.readings, 0),
          bytes: ready.reduce((n, r) => n + r.bytes, 0),
          buildSeconds: Math.max(...ready.map((r) => r.buildSeconds)),
          failed,
        },
      };
    } catch (err) {
      await generators.kill();
      throw err;
    }
  }

  get pids(): number[] {
    return this.#all.map((g) => g.child.pid!);
  }

  /** CPU seconds of every generator process so far. */
  cpuSeconds(): number {
    return this.pids.reduce((n, pid) => n + cpuSeconds(pid), 0);
  }

  command(cmd: GeneratorCommand): void {
    for (const g of this.#all) g.send(cmd);
  }

  /** Idle fleets: connections open and connect failures by reason, from the latest progress reports. */
  progress(): { open: number; failed: Record<string, number> } {
    const failed: Record<string, number> = {};
    let open = 0;
    for (const g of this.#all) {
      open += g.lastProgress?.open ?? 0;
      addCounts(failed, g.lastProgress?.failed ?? {});
    }
    return { open, failed };
  }

  /** Sends "stop" and gathers every window. */
  async stop(): Promise<MergedWindow> {
    this.command("stop");
    const windows: WindowStats[] = (await Promise.all(this.#all.map((g) => g.receive("window", 60_000)))).map((m) => m.stats);
    const latency = new LatencyHistogram();
    for (const w of windows) latency.merge(w.latency, w.latencyMax);
    const sum = (pick: (w: WindowStats) => number) => windows.reduce((n, w) => n + pick(w), 0);
    const lagged = windows.filter((w) => w.lagMeanMs !== undefined);
    return {
      seconds: Math.max(...windows.map((w) => w.seconds)),
      readingsPerSecond: sum((w) => w.readingsAcked / w.seconds),
      framesPerSecond: sum((w) => w.framesAcked / w.seconds),
      bytesPerSecond: sum((w) => w.bytesAcked / w.seconds),
      readingsAcked: sum((w) => w.readingsAcked),
      framesAcked: sum((w) => w.framesAcked),
      readingsRejected: sum((w) => w.readingsRejected),
      retryAnswers: sum((w) => w.retryAnswers),
      resent: sum((w) => w.resent),
      frameErrors: sum((w) => w.frameErrors),
      firstError: windows.find((w) => w.firstError)?.firstError,
      latency,
      poolWraps: sum((w) => w.poolWraps),
      lagMeanMs: lagged.length > 0 ? lagged.reduce((n, w) => n + w.lagMeanMs!, 0) / lagged.length : undefined,
      lagMaxMs: lagged.length > 0 ? Math.max(...lagged.map((w) => w.lagMaxMs!)) : undefined,
      generatorCores: sum((w) => w.cpuCores),
      open: sum((w) => w.open),
      closed: sum((w) => w.closed),
    };
  }

  /** Waits for every generator's drain. */
  async drained(timeoutMs = 90_000): Promise<DrainStats> {
    const drains = (await Promise.all(this.#all.map((g) => g.receive("done", timeoutMs)))).map((m) => m.drain);
    return {
      seconds: Math.max(...drains.map((d) => d.seconds)),
      unanswered: drains.reduce((n, d) => n + d.unanswered, 0),
      readingsAcked: drains.reduce((n, d) => n + d.readingsAcked, 0),
    };
  }

  /** Ends every generator (they exit by themselves after "done"; this makes sure). */
  async kill(): Promise<void> {
    for (const g of this.#all) g.child.stdin!.end();
    await Promise.all(this.#all.map((g) => exitOf(g.child, 5_000)));
  }
}

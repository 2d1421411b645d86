// A load generator process of the ingest bench: builds its connections' frames before the clock
// starts, connects, and on the bench's commands (stdin) sends with a bounded window of unanswered
// frames per connection, resends frames the server answered with retry-after, and reports what it
// measured (stdout, one JSON message per line). Run as `node --import tsx load-generator.ts <config>`.
import { createInterface } from "node:readline";
import { createCodec } from "iotpipe/codec";
import { LatencyHistogram } from "./histogram.js";
import { binaryPool, blockPool, jsonPool, linePool, type FramePool } from "./frames.js";
import type { GeneratorConfig, GeneratorMessage, IdleWorkload, WindowStats } from "./protocol.js";
import { HttpConnection } from "./http-connection.js";
import { IdleFleet } from "./idle-fleet.js";
import { WsConnection, type Tally } from "./ws-connection.js";

const config = JSON.parse(process.argv[2] ?? "{}") as GeneratorConfig;
const say = (m: GeneratorMessage) => process.stdout.write(JSON.stringify(m) + "\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gives up draining after this long: frames still unanswered are reported, not waited for. */
const DRAIN_TIMEOUT_MS = 60_000;

function newTally(): Tally {
  return {
    measuring: false,
    framesAcked: 0,
    readingsAcked: 0,
    readingsRejected: 0,
    bytesAcked: 0,
    retryAnswers: 0,
    resent: 0,
    frameErrors: 0,
    firstError: undefined,
    latency: new LatencyHistogram(),
    poolWraps: 0,
    lagSum: 0,
    lagCount: 0,
    lagMax: 0,
    closed: 0,
    totalReadingsAcked: 0,
  };
}

async function buildPools(): Promise<FramePool[]> {
  const w = config.workload;
  const codec = w.kind === "blocks" ? await createCodec() : undefined;
  const pools: FramePool[] = [];
  for (let i = 0; i < config.connections; i++) {
    const c = config.firstConnection + i;
    if (w.kind === "binary") pools.push(binaryPool(w, c, config.seed, config.startUs));
    else if (w.kind === "blocks") pools.push(blockPool(w, c, config.seed, config.startUs, codec!));
    else if (w.kind === "json") pools.push(jsonPool(w, c, config.seed, config.startUs));
    else if (w.kind === "line") pools.push(linePool(w, c, config.seed, config.startUs));
  }
  return pools;
}

interface Sender {
  start(): void;
  stop(): void;
  /** Frames sent and not yet answered. */
  readonly unanswered: number;
  readonly isOpen: boolean;
  close(): void;
}

async function main(): Promise<void> {
  const tally = newTally();
  const commands = createInterface({ input: process.stdin });
  const waiting: ((cmd: string) => void)[] = [];
  const queued: string[] = [];
  commands.on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line.trim());
    else queued.push(line.trim());
  });
  // The bench going away (its stdin closing) ends the generator too.
  commands.on("close", () => setTimeout(() => process.exit(0), 100));
  const next = (): Promise<string> => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((r) => waiting.push(r)));
  const expect = async (cmd: string) => {
    const got = await next();
    if (got !== cmd) throw new Error(`expected command ${cmd}, got ${got}`);
  };

  let senders: Sender[] = [];
  let idle: IdleFleet | undefined;
  const built = performance.now();
  if (config.workload.kind === "idle") {
    idle = new IdleFleet(config, config.workload as IdleWorkload, tally);
    say({ type: "ready", connections: config.connections, frames: 0, readings: 0, bytes: 0, buildSeconds: 0, failed: {} });
  } else {
    const pools = await buildPools();
    const buildSeconds = (performance.now() - built) / 1000;
    const perConnectionRate = config.rate === undefined ? undefined : config.rate / config.connections;
    if (config.workload.kind === "line") {
      senders = pools.map((p) => new HttpConnection(config.url, p, tally));
    } else {
      const ws = pools.map((p) => new WsConnection(config.url, p, config.window, config.windowBytes, perConnectionRate, tally));
      await Promise.all(ws.map((c) => c.connect()));
      senders = ws;
    }
    const failed: Record<string, number> = {};
    for (const s of senders) if (!s.isOpen) failed.connect = (failed.connect ?? 0) + 1;
    say({
      type: "ready",
      connections: senders.length,
      frames: pools.reduce((n, p) => n + p.frames.length, 0),
      readings: pools.reduce((n, p) => n + p.readings.reduce((a, b) => a + b, 0), 0),
      bytes: pools.reduce((n, p) => n + p.frames.reduce((a, f) => a + f.length, 0), 0),
      buildSeconds,
      failed,
    });
  }

  await expect("start");
  let progress: NodeJS.Timeout | undefined;
  if (idle) {
    idle.start();
    progress = setInterval(() => say({ type: "progress", open: idle!.open, failed: idle!.failed }), 250);
  } else {
    for (const s of senders) s.start();
    const ws = senders.filter((s): s is WsConnection => s instanceof WsConnection);
    if (ws.length > 0) setInterval(() => ws.forEach((c) => c.watchdog()), 1000).unref();
  }

  await expect("measure");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  tally.measuring = true;

  await expect("stop");
  tally.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (progress) clearInterval(progress);
  const open = idle ? idle.open : senders.filter((s) => s.isOpen).length;
  const stats: WindowStats = {
    seconds,
    framesAcked: tally.framesAcked,
    readingsAcked: tally.readingsAcked,
    readingsRejected: tally.readingsRejected,
    bytesAcked: tally.bytesAcked,
    retryAnswers: tally.retryAnswers,
    resent: tally.resent,
    frameErrors: tally.frameErrors,
    ...(tally.firstError ? { firstError: tally.firstError } : {}),
    latency: tally.latency.toJSON(),
    latencyMax: tally.latency.max,
    poolWraps: tally.poolWraps,
    ...(tally.lagCount > 0 ? { lagMeanMs: tally.lagSum / tally.lagCount, lagMaxMs: tally.lagMax } : {}),
    cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
    open,
    closed: tally.closed,
  };
  say({ type: "window", stats });

  // Drain: no new frames, but refused ones are still resent, until every frame is answered.
  const drainStart = performance.now();
  const ackedBefore = tally.totalReadingsAcked;
  idle?.stop();
  for (const s of senders) s.stop();
  const unanswered = () => (idle ? idle.unanswered : senders.reduce((n, s) => n + (s.isOpen ? s.unanswered : 0), 0));
  while (unanswered() > 0 && performance.now() - drainStart < DRAIN_TIMEOUT_MS) await sleep(5);
  say({
    type: "done",
    drain: { seconds: (performance.now() - drainStart) / 1000, unanswered: unanswered(), readingsAcked: tally.totalReadingsAcked - ackedBefore },
  });
  idle?.close();
  for (const s of senders) s.close();
  await sleep(50);
  process.exit(0);
}

main().catch((err) => {
  say({ type: "error", message: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exit(1);
});

// What the ingest bench and its load generators (separate processes) say to each other: the bench
// writes one command per line to a generator's stdin, the generator answers with one JSON message per
// line on its stdout. Kept apart from both sides so neither imports the other's code.
import type { HistogramData } from "./histogram.js";

/** Readings frames from gateways, each speaking for many devices (binary frame type 1). */
export interface BinaryWorkload {
  kind: "binary";
  devicesPerConnection: number;
  channels: string[];
  /** Readings per frame: uniform in [min, max]. */
  minReadings: number;
  maxReadings: number;
  /** Readings pre-encoded per connection (frames are reused, in order, when the run needs more). */
  readingsPerConnection: number;
}

/** Codec blocks compressed on the edge (binary frame type 2): one block per series and time window. */
export interface BlockWorkload {
  kind: "blocks";
  devicesPerConnection: number;
  channels: string[];
  /** Points per block (seconds of 1 Hz data a gateway buffers per series). */
  blockPoints: number;
  blocksPerFrame: number;
  readingsPerConnection: number;
}

/** One device per connection sending small JSON text frames. */
export interface JsonWorkload {
  kind: "json";
  channels: string[];
  readingsPerFrame: number;
  framesPerConnection: number;
}

/** Influx line protocol bodies posted over HTTP, Telegraf style: one line per device and tick, a field per channel. */
export interface LineWorkload {
  kind: "line";
  devicesPerConnection: number;
  channels: string[];
  linesPerBatch: number;
  batchesPerConnection: number;
}

/** Many connections, each sending one small JSON frame every `sendEveryMs`. */
export interface IdleWorkload {
  kind: "idle";
  channels: string[];
  sendEveryMs: number;
  /** New connections per second this generator opens (the server refuses faster accepts with 503). */
  connectPerSecond: number;
  /**
   * Source address and port of each connection, chosen here rather than by the kernel: attempt `a` of
   * connection `i` uses slot i + a · slotStride, i.e. 127.0.0.(2 + slot ÷ portsPerAddress), port
   * firstPort + slot mod portsPerAddress. (Letting the kernel pick searches the ephemeral range on
   * every connect, which with tens of thousands of sockets open costs seconds of system time.)
   */
  sourcePorts: { firstPort: number; portsPerAddress: number; slotStride: number };
}

export type Workload = BinaryWorkload | BlockWorkload | JsonWorkload | LineWorkload | IdleWorkload;

/** A generator's whole job, passed as JSON in its first argument. */
export interface GeneratorConfig {
  workload: Workload;
  /** ws://…/v1/ingest, or for line protocol the full http://…/write?precision=ns URL. */
  url: string;
  connections: number;
  /** Global index of this generator's first connection: names and seeds follow it. */
  firstConnection: number;
  /** Frames (requests) sent and not yet answered, per connection. */
  window: number;
  /** Bytes sent and not yet answered, per connection (kept under the server's per-connection limit). */
  windowBytes: number;
  /** Open loop: readings/s this generator offers in total, spread evenly over its connections. Absent: closed loop. */
  rate?: number;
  seed: number;
  /** First timestamp (µs since the epoch). */
  startUs: number;
}

/** Generator → bench. */
export type GeneratorMessage =
  | { type: "ready"; connections: number; frames: number; readings: number; bytes: number; buildSeconds: number; failed: Record<string, number> }
  | { type: "progress"; open: number; failed: Record<string, number> }
  | { type: "window"; stats: WindowStats }
  | { type: "done"; drain: DrainStats }
  | { type: "error"; message: string };

/** What a generator saw between "measure" and "stop". */
export interface WindowStats {
  seconds: number;
  framesAcked: number;
  readingsAcked: number;
  /** Readings the server refused inside acknowledged frames. */
  readingsRejected: number;
  bytesAcked: number;
  /** Retry-after answers (ack null, error RETRY; HTTP 503). */
  retryAnswers: number;
  /** Frames sent again after retry-after answers or timeouts. */
  resent: number;
  /** Answers that refused a frame whole (not RETRY), with the first message. */
  frameErrors: number;
  firstError?: string;
  latency: HistogramData;
  latencyMax: number;
  /** Times the pre-encoded frames ran out and were sent again from the start. */
  poolWraps: number;
  /** Open loop: how far behind its schedule the generator sent, ms (mean and max). */
  lagMeanMs?: number;
  lagMaxMs?: number;
  /** CPU the generator process used over the window (cores). */
  cpuCores: number;
  /** Connections open at the end of the window. */
  open: number;
  /** Connections that closed while they should have been open. */
  closed: number;
}

/** What a generator saw after "stop": waiting for every frame in flight to be answered. */
export interface DrainStats {
  seconds: number;
  /** Frames still unanswered when the drain gave up. */
  unanswered: number;
  readingsAcked: number;
}

/** Bench → generator (one per line on stdin). */
export type GeneratorCommand = "start" | "measure" | "stop";

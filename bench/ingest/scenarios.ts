// The ingest bench's scenarios at their two sizes. Default: ~20 s measured per load (a run under ten
// minutes on a 2-core box); --quick: ~5 s and smaller fleets. Pre-encoded readings per connection are
// sized for 1.5–4 M readings/s over warm-up plus window; past that frames are sent again (counted as
// pool_wraps; line-protocol bodies are re-stamped forward in time, WebSocket frames repeat).
import type { ScenarioName } from "./options.js";
import type { Workload } from "./protocol.js";

const CHANNELS = ["temp", "pressure", "vibration", "current"];

/** A throughput scenario: connections pushing pre-encoded frames as fast as the window allows. */
export interface LoadScenario {
  name: Exclude<ScenarioName, "idle-connections" | "redis">;
  note: string;
  workload: Exclude<Workload, { kind: "idle" }>;
  connections: number;
  generators: number;
  window: number;
  windowBytes: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** Also measure ack latency with the generators held to half the rate just measured. */
  halfLoad: boolean;
  /**
   * Warm-up of that half-load run. A fresh server is slower for its first ~8 s here (64 000 series made,
   * buffers and heaps growing) and falls behind; after a 3 s warm-up its backlog was still being
   * acknowledged in the window's first seconds (frame p50 ~300 ms in the first, more readings acked than
   * offered): the window then measured the cold start, not the load. The server's own histogram
   * (server_ack_latency_ms) still covers the whole run. Default: warmupSeconds.
   */
  halfLoadWarmupSeconds?: number;
  /** Also feed the same bodies to VictoriaMetrics. */
  peer: boolean;
}

/** Many idle-ish device connections. */
export interface IdleScenario {
  name: "idle-connections";
  note: string;
  /** Connections wanted (fewer when the fd limit does not allow them). */
  connections: number;
  sendEveryMs: number;
  holdSeconds: number;
  /** New connections per second, all generators together (the server's default accept limit is 5 000/s). */
  connectPerSecond: number;
  channels: string[];
}

export interface Scenarios {
  load: LoadScenario[];
  idle: IdleScenario;
  /** `iotpipe worker` processes in the Redis Streams scenario. */
  redisWorkers: number;
}

/**
 * Keeps each connection's frames well under the server's 4 MiB of unacknowledged bytes per connection
 * (connectionInFlightBytes): past it the server answers retry-after instead of reading.
 */
const WINDOW_BYTES = 3 << 20;

export function scenarios(quick: boolean): Scenarios {
  const warmupSeconds = quick ? 1 : 3;
  const measureSeconds = quick ? 5 : 20;
  const seconds = warmupSeconds + measureSeconds + 2;
  /** Readings to pre-encode per connection for `rate` readings/s over the whole run. */
  const pool = (rate: number, connections: number) => Math.ceil((rate * seconds) / connections);
  const gateways = quick ? 8 : 16;
  return {
    load: [
      {
        name: "gateway-binary",
        note: `${gateways} gateways × 1 000 devices × 4 channels, binary readings frames of 1 000–5 000 readings, ${8} frames in flight per gateway`,
        workload: {
          kind: "binary",
          devicesPerConnection: 1000,
          channels: CHANNELS,
          minReadings: 1000,
          maxReadings: 5000,
          readingsPerConnection: pool(1_500_000, gateways),
        },
        connections: gateways,
        generators: quick ? 1 : 2,
        window: 8,
        windowBytes: WINDOW_BYTES,
        warmupSeconds,
        measureSeconds,
        halfLoad: true,
        halfLoadWarmupSeconds: quick ? warmupSeconds : 10,
        peer: false,
      },
      {
        name: "gateway-blocks",
        note: `${gateways} edge gateways × 250 devices × 4 channels, iotpipe/codec blocks of 300 points (5 min at 1 Hz, 2-decimal gauges, in order), 10 blocks per frame`,
        workload: {
          kind: "blocks",
          devicesPerConnection: 250,
          channels: CHANNELS,
          blockPoints: 300,
          blocksPerFrame: 10,
          readingsPerConnection: pool(4_000_000, gateways),
        },
        connections: gateways,
        generators: quick ? 1 : 2,
        window: 8,
        windowBytes: WINDOW_BYTES,
        warmupSeconds,
        measureSeconds,
        halfLoad: false,
        peer: false,
      },
      {
        name: "json-devices",
        note: `${quick ? 500 : 2000} device connections, JSON text frames of 8 readings (2 ticks × 4 channels), 2 frames in flight each`,
        workload: { kind: "json", channels: CHANNELS, readingsPerFrame: 8, framesPerConnection: quick ? 200 : 300 },
        connections: quick ? 500 : 2000,
        generators: quick ? 1 : 2,
        window: 2,
        windowBytes: WINDOW_BYTES,
        warmupSeconds,
        measureSeconds,
        halfLoad: false,
        peer: false,
      },
      {
        name: "line-protocol",
        note: `${quick ? 4 : 8} HTTP keep-alive connections posting line protocol (Telegraf style: 5 000 lines × 4 fields = 20 000 readings per request, precision ns, 1 000 devices per connection)`,
        workload: { kind: "line", devicesPerConnection: 1000, channels: CHANNELS, linesPerBatch: 5000, batchesPerConnection: quick ? 30 : 40 },
        connections: quick ? 4 : 8,
        generators: quick ? 1 : 2,
        window: 1,
        windowBytes: WINDOW_BYTES,
        warmupSeconds,
        measureSeconds,
        halfLoad: false,
        peer: true,
      },
    ],
    idle: {
      name: "idle-connections",
      note: "device connections each sending one JSON reading every ~10 s",
      connections: quick ? 5_000 : 100_000,
      sendEveryMs: 10_000,
      holdSeconds: quick ? 6 : 30,
      connectPerSecond: 4_000,
      channels: CHANNELS,
    },
    redisWorkers: 2,
  };
}

/** The scenario with its pre-encoded pool cut to what `rate` readings/s needs (plus a third), e.g. for the half-load run. */
export function sizedFor(s: LoadScenario, rate: number): LoadScenario {
  const w = s.workload;
  if (w.kind !== "binary" && w.kind !== "blocks") return s;
  const needed = Math.ceil((rate * (s.warmupSeconds + s.measureSeconds + 2) * 4) / 3 / s.connections);
  const floor = s.window * 2 * (w.kind === "binary" ? w.maxReadings : w.blockPoints * w.blocksPerFrame);
  return { ...s, workload: { ...w, readingsPerConnection: Math.min(w.readingsPerConnection, Math.max(needed, floor)) } };
}

// The one path every frame takes, whatever carried it: decode into columns, validate, route by
// (partition, lane), publish to the bus, and report once every part is durable: how many readings
// were accepted and which were refused, with reasons. A frame that cannot be read is refused whole.
import type { Codec } from "../codec/index.js";
import type { Config } from "../config.js";
import type { Principal } from "../server/auth.js";
import { TokenBucket } from "../server/auth.js";
import type { Bus } from "../pipeline/bus.js";
import { route } from "../pipeline/router.js";
import { BatchBuilder } from "./batch-builder.js";
import type { DeviceRegistry } from "./devices.js";
import { validate } from "./validate.js";
import { FrameError } from "./frames/errors.js";
import type { DecodedFrame, FrameLimits } from "./frames/frame.js";
import { decodeBinaryFrame } from "./frames/binary-decode.js";
import { storableBlocks } from "../pipeline/edge-blocks.js";
import type { EdgeBlocks } from "../archive/batch.js";
import { decodeJsonFrame } from "./frames/json-frame.js";
import { decodeLineProtocol } from "./frames/line-protocol.js";
import type { Precision } from "./frames/line-values.js";

/** The write API's precision values (InfluxDB 1.x spellings too) and what they mean. */
const PRECISION: Record<string, Precision | undefined> = { ns: "ns", n: "ns", us: "us", u: "us", ms: "ms", s: "s" };

/** How a frame arrived: a binary or text WebSocket message, or a line-protocol body. */
export type FrameKind = "binary" | "text" | "line";

/** What the sender is told. */
export interface IntakeResult {
  seq: number | undefined;
  accepted: number;
  rejected: { index: number; reason: string }[];
  error?: { code: string; message: string };
}

/** What intake counts (the server's metrics implement it). */
export interface IntakeCounters {
  frame(format: string): void;
  badFrame(code: string): void;
  accepted(n: number, devices: readonly string[]): void;
  rejected(reason: string): void;
  ackLatency(ms: number): void;
}

export class Intake {
  readonly #bus: Bus;
  readonly #registry: DeviceRegistry;
  readonly #config: Config;
  readonly #codec: Codec;
  readonly #counters: IntakeCounters;
  readonly #limits: FrameLimits;
  readonly #rates = new Map<string, TokenBucket>();
  /** Reused by every frame: decoding runs to take() without awaiting, so frames never share it. */
  readonly #builder = new BatchBuilder();

  constructor(bus: Bus, registry: DeviceRegistry, config: Config, codec: Codec, counters: IntakeCounters) {
    this.#bus = bus;
    this.#registry = registry;
    this.#config = config;
    this.#codec = codec;
    this.#counters = counters;
    this.#limits = { maxReadings: config.limits.maxReadingsPerFrame, maxNameLength: 256 };
  }

  /** Decodes, validates, routes and publishes one frame; resolves when it is durable (or refused). */
  async ingest(kind: FrameKind, payload: Uint8Array | string, principal: Principal, options: { precision?: string }): Promise<IntakeResult> {
    const started = performance.now();
    const builder = this.#builder;
    let frame: DecodedFrame;
    let format: string = kind;
    let blocks: EdgeBlocks | undefined;
    try {
      if (kind === "binary") {
        const binary = decodeBinaryFrame(payload as Uint8Array, builder, this.#limits, this.#codec);
        blocks = storableBlocks(binary.blocks);
        frame = binary;
      } else {
        const text = payload as string;
        const first = text.trimStart().charCodeAt(0);
        if (kind === "text" && (first === 0x7b || first === 0x5b)) {
          format = "json";
          frame = decodeJsonFrame(text, builder, this.#limits);
        } else {
          format = "line";
          const precision = PRECISION[options.precision ?? "ns"];
          if (!precision) throw new FrameError("BAD_FIELD", `precision ${JSON.stringify(options.precision)} is not one of ns, us, ms, s`);
          frame = decodeLineProtocol(text, builder, this.#limits, { precision, now: Date.now() * 1000 });
        }
      }
    } catch (err) {
      builder.take();
      const code = err instanceof FrameError ? err.code : "BAD_FRAME";
      this.#counters.badFrame(code);
      return { seq: undefined, accepted: 0, rejected: [], error: { code, message: (err as Error).message } };
    }
    this.#counters.frame(format);
    const cols = builder.take();
    if (blocks) cols.blocks = blocks;
    const overRate = this.#overRate(cols.devices, cols.device);
    const checked = validate(cols, this.#registry, this.#config.validation, Date.now() * 1000, (d) =>
      !principal.mayWrite(d) ? "unauthorized_device" : overRate.has(d) ? "rate_limited" : undefined,
    );
    const rejected: { index: number; reason: string }[] = frame.rejected.map((r) => ({ index: r.index, reason: r.reason }));
    // Validation indexes count only the readings decoding kept: map them back to frame positions.
    const decodedIndex = keptPositions(cols.timestamps.length, frame.rejected.map((r) => r.index));
    for (const r of checked.rejected) rejected.push({ index: decodedIndex[r.index], reason: r.reason });
    for (const r of rejected) this.#counters.rejected(r.reason);
    const kept = checked.kept;
    if (kept.timestamps.length > 0) {
      const parts = route(kept, this.#config.partitions, this.#config.region, this.#registry);
      await Promise.all(parts.map((p) => this.#bus.publish(p.stream, p.batch)));
      this.#counters.accepted(kept.timestamps.length, kept.devices);
    }
    this.#counters.ackLatency(performance.now() - started);
    rejected.sort((a, b) => a.index - b.index);
    return { seq: frame.seq, accepted: kept.timestamps.length, rejected };
  }

  /** Devices of this frame over their per-second budget. */
  #overRate(devices: readonly string[], rows: Uint32Array): Set<string> {
    const counts = new Uint32Array(devices.length);
    for (let i = 0; i < rows.length; i++) counts[rows[i]]++;
    const over = new Set<string>();
    const rate = this.#config.limits.perDeviceRate;
    devices.forEach((d, i) => {
      if (counts[i] === 0) return;
      let bucket = this.#rates.get(d);
      if (!bucket) this.#rates.set(d, (bucket = new TokenBucket(rate)));
      if (!bucket.take(counts[i])) over.add(d);
    });
    return over;
  }
}

/** For n kept readings, their positions in the frame, given the (sorted) positions decoding refused. */
function keptPositions(n: number, refused: number[]): Uint32Array {
  const out = new Uint32Array(n);
  const skip = [...refused].sort((a, b) => a - b);
  let k = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    while (k < skip.length && skip[k] === pos) {
      k++;
      pos++;
    }
    out[i] = pos++;
  }
  return out;
}

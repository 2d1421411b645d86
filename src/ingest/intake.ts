// The one path every frame takes, whatever carried it: decode into columns, validate, route by
// (partition, lane), publish to the bus, and report once every part is durable: how many readings
// were accepted and which were refused, with reasons. A frame that cannot be read is refused whole.
import type { Codec } from "../codec/index.js";
import type { Config } from "../config.js";
import type { Principal } from "../server/auth.js";
import { TokenBucket } from "../server/auth.js";
import type { Bus } from "../pipeline/bus.js";
import { route } from "../pipeline/router.js";
import { BatchBuilder, type FlaggedColumns } from "./batch-builder.js";
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

/**
 * Decodes a line-protocol body somewhere else (the worker threads), resolving with what decoding found
 * and the readings; rejects with an error whose `code` is the FrameError's for a body it cannot read.
 */
export type LineDecoder = (body: Uint8Array, precision: Precision, now: number, limits: FrameLimits) => Promise<{ frame: DecodedFrame; cols: FlaggedColumns }>;

/** Line-protocol bodies from this size on are decoded by the LineDecoder: below, the hop costs more than it frees. */
const OFF_THREAD_BYTES = 64 << 10;

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
  readonly #lineDecoder: LineDecoder | undefined;

  constructor(bus: Bus, registry: DeviceRegistry, config: Config, codec: Codec, counters: IntakeCounters, lineDecoder?: LineDecoder) {
    this.#bus = bus;
    this.#lineDecoder = lineDecoder;
    this.#registry = registry;
    this.#config = config;
    this.#codec = codec;
    this.#counters = counters;
    this.#limits = { maxReadings: config.limits.maxReadingsPerFrame, maxNameLength: 256 };
  }

  /** Decodes, validates, routes and publishes one frame; resolves when it is durable (or refused). */
  async ingest(kind: FrameKind, payload: Uint8Array | string, principal: Principal, options: { precision?: string }): Promise<IntakeResult> {
    const started = performance.now();
    let decoded: { frame: DecodedFrame; cols: FlaggedColumns; format: string };
    try {
      decoded = await this.#decode(kind, payload, options);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const known = err instanceof FrameError || (typeof code === "string" && code !== "");
      this.#counters.badFrame(known ? (code as string) : "BAD_FRAME");
      return { seq: undefined, accepted: 0, rejected: [], error: { code: known ? (code as string) : "BAD_FRAME", message: (err as Error).message } };
    }
    const { frame, cols, format } = decoded;
    this.#counters.frame(format);
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

  /**
   * The frame's readings as columns, and what decoding refused. Large line-protocol bodies go to the
   * line decoder (the worker threads) when there is one; everything else is decoded here, into the one
   * builder, which take() empties before anything awaits.
   */
  async #decode(kind: FrameKind, payload: Uint8Array | string, options: { precision?: string }): Promise<{ frame: DecodedFrame; cols: FlaggedColumns; format: string }> {
    const builder = this.#builder;
    let frame: DecodedFrame;
    let format: string = kind;
    let blocks: EdgeBlocks | undefined;
    try {
      if (kind === "binary") {
        const binary = decodeBinaryFrame(payload as Uint8Array, builder, this.#limits, this.#codec);
        blocks = storableBlocks(binary.blocks);
        frame = binary;
      } else if (kind === "line") {
        format = "line";
        const precision = PRECISION[options.precision ?? "ns"];
        if (!precision) throw new FrameError("BAD_FIELD", `precision ${JSON.stringify(options.precision)} is not one of ns, us, ms, s`);
        if (this.#lineDecoder && typeof payload !== "string" && payload.length >= OFF_THREAD_BYTES) {
          return { ...(await this.#lineDecoder(payload, precision, Date.now() * 1000, this.#limits)), format };
        }
        frame = decodeLineProtocol(payload, builder, this.#limits, { precision, now: Date.now() * 1000 });
      } else {
        const text = payload as string;
        const first = text.trimStart().charCodeAt(0);
        if (first === 0x7b || first === 0x5b) {
          format = "json";
          frame = decodeJsonFrame(text, builder, this.#limits);
        } else {
          format = "line";
          frame = decodeLineProtocol(text, builder, this.#limits, { precision: "ns", now: Date.now() * 1000 });
        }
      }
    } catch (err) {
      builder.take();
      throw err;
    }
    const cols = builder.take();
    if (blocks) cols.blocks = blocks;
    return { frame, cols, format };
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

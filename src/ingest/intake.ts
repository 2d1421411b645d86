// The one path every frame takes, whatever carried it: decode into columns, validate, route by
// (partition, lane), publish to the bus, and report once every part is durable: how many readings
// were accepted and which were refused, with reasons. A frame that cannot be read is refused whole.
import type { Codec } from "../codec/index.js";
import type { Config } from "../config.js";
import type { Principal } from "../server/auth.js";
import type { Bus } from "../pipeline/bus.js";
import { placeOf, route } from "../pipeline/router.js";
import { mergeBatches } from "../pipeline/merge-batches.js";
import { BatchBuilder, type FlaggedColumns } from "./batch-builder.js";
import type { DeviceRegistry } from "./devices.js";
import { validate } from "./validate.js";
import { ClockSkew } from "./clock-skew.js";
import { DeviceNumbers, UNNUMBERED } from "./device-numbers.js";
import { withRoom } from "../archive/numbered-column.js";
import { DeviceBudgets } from "./device-budgets.js";
import { FrameError } from "./frames/errors.js";
import type { DecodedFrame, FrameLimits } from "./frames/frame.js";
import type { Precision } from "./frames/line-values.js";
import { decodeFrame, type FrameDecoding, type FrameKind } from "./decode-frame.js";

/** The write API's precision values (InfluxDB 1.x spellings too) and what they mean. */
const PRECISION: Record<string, Precision | undefined> = { ns: "ns", n: "ns", us: "us", u: "us", ms: "ms", s: "s" };

export type { FrameKind } from "./decode-frame.js";

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
  accepted(n: number): void;
  /** `count` devices sent their first frame (since the server started, or since the device table started over). */
  newDevices(count: number): void;
  rejected(reason: string): void;
  ackLatency(ms: number): void;
  /** Device clocks seen jumping, and readings whose timestamps were corrected for a steady skew. */
  clocks(jumps: number, corrected: number): void;
}

/** A frame decoded: what decoding found, its format, and its readings (edge blocks attached). */
export interface DecodedColumns {
  frame: DecodedFrame;
  format: string;
  cols: FlaggedColumns;
}

/**
 * Decodes a frame somewhere else (the worker threads); rejects with an error whose `code` is the
 * FrameError's for a frame it cannot read.
 */
export type FrameDecoder = (kind: FrameKind, bytes: Uint8Array, precision: Precision, now: number, limits: FrameLimits) => Promise<DecodedColumns>;

/**
 * Sees every frame's accepted readings on arrival, before they wait for the archive (the alert
 * rules: ingest triage). It must not throw and must not keep the columns.
 */
export type ArrivalObserver = (cols: FlaggedColumns, arrival: number) => void;

/** Frames with fewer readings kept than this are published together with the others of their turn. */
const GATHER_BELOW = 1024;

/**
 * Frames from this size on go to the FrameDecoder (line-protocol bodies, typically): below, the hop
 * costs more than it frees, since the names come back as new strings that every map on this thread
 * must hash again (gateway frames of 10–50 kB measured 1.5–1.8 M readings/s here, 1.1 M decoded off-thread).
 */
const OFF_THREAD_BYTES = 64 << 10;

/** How far a steady device clock's samples may wander (network delay) before it counts as a jump. */
const CLOCK_JITTER_US = 1e6;

export class Intake {
  readonly #bus: Bus;
  readonly #registry: DeviceRegistry;
  readonly #config: Config;
  readonly #codec: Codec;
  readonly #counters: IntakeCounters;
  readonly #limits: FrameLimits;
  readonly #devices = new DeviceNumbers();
  #budgets: DeviceBudgets;
  /** Reused by every frame: decoding runs to take() without awaiting, so frames never share it. */
  readonly #builder = new BatchBuilder();
  readonly #decoder: FrameDecoder | undefined;
  readonly #arrival: ArrivalObserver | undefined;
  /** Device clocks: estimated from every frame, corrected where steadily off. */
  readonly clocks: ClockSkew;
  /** Per device number: its place (router's placeOf), −1 until first routed. */
  #places = new Int32Array(0);
  /** Readings per device of the frame being checked (reused: one frame is checked at a time). */
  #counts = new Uint32Array(64);
  /** Small frames' readings gathered in this event-loop turn, and the publication they will share. */
  #gathered: FlaggedColumns[] = [];
  #gatheredPublished: Promise<void> | undefined;

  constructor(bus: Bus, registry: DeviceRegistry, config: Config, codec: Codec, counters: IntakeCounters, decoder?: FrameDecoder, arrival?: ArrivalObserver) {
    this.#bus = bus;
    this.#decoder = decoder;
    this.#arrival = arrival;
    this.#registry = registry;
    this.#config = config;
    this.#codec = codec;
    this.#counters = counters;
    this.#budgets = new DeviceBudgets(config.limits.perDeviceRate);
    this.#devices.onStartOver(() => {
      this.#budgets = new DeviceBudgets(config.limits.perDeviceRate);
      this.#places = new Int32Array(0);
    });
    this.#limits = { maxReadings: config.limits.maxReadingsPerFrame, maxNameLength: 256 };
    this.clocks = new ClockSkew({ mode: config.validation.clockSkew, toleranceUs: config.validation.skewTolerance, jitterUs: CLOCK_JITTER_US }, this.#devices);
  }

  /**
   * Decodes, validates, routes and publishes one frame; resolves when it is durable (or refused). A
   * frame decoded here is taken synchronously up to its publication (validation and the arrival
   * observer included), so the caller's time slice bounds that work, not a microtask after it.
   */
  ingest(kind: FrameKind, payload: Uint8Array | string, principal: Principal, options: { precision?: string }): Promise<IntakeResult> {
    const started = performance.now();
    let decoded: DecodedColumns | Promise<DecodedColumns>;
    try {
      decoded = this.#decode(kind, payload, options);
    } catch (err) {
      return Promise.resolve(this.#refuse(err));
    }
    if (decoded instanceof Promise) return decoded.then((d) => this.#take(d, principal, started), (err: unknown) => this.#refuse(err));
    return this.#take(decoded, principal, started);
  }

  /** The answer to a frame that cannot be read. */
  #refuse(err: unknown): IntakeResult {
    const code = (err as { code?: unknown }).code;
    const known = err instanceof FrameError || (typeof code === "string" && code !== "");
    this.#counters.badFrame(known ? (code as string) : "BAD_FRAME");
    return { seq: undefined, accepted: 0, rejected: [], error: { code: known ? (code as string) : "BAD_FRAME", message: (err as Error).message } };
  }

  /** Validates and publishes a decoded frame; resolves with its answer once its readings are durable. */
  #take(decoded: DecodedColumns, principal: Principal, started: number): Promise<IntakeResult> {
    const { frame, cols, format } = decoded;
    this.#counters.frame(format);
    // Devices the sender may not write are refused whole: they get no number, so no state either.
    const allowed = cols.devices.map((d) => principal.mayWrite(d));
    const handedOut = this.#devices.handedOut;
    const numbers = this.#devices.numbersOf(cols.devices, allowed);
    if (this.#devices.handedOut > handedOut) this.#counters.newDevices(this.#devices.handedOut - handedOut);
    const overRate = this.#overRate(cols.devices, numbers, cols.device);
    const now = Date.now() * 1000;
    const jumps = this.clocks.jumps;
    const corrected = this.clocks.corrected;
    this.clocks.apply(cols, now, numbers);
    if (this.clocks.jumps !== jumps || this.clocks.corrected !== corrected) this.#counters.clocks(this.clocks.jumps - jumps, this.clocks.corrected - corrected);
    const checked = validate(cols, this.#registry, this.#config.validation, now, (d, i) =>
      !allowed[i] ? "unauthorized_device" : overRate.has(d) ? "rate_limited" : undefined,
    );
    const rejected: { index: number; reason: string }[] = frame.rejected.map((r) => ({ index: r.index, reason: r.reason }));
    // Validation indexes count only the readings decoding kept: map them back to frame positions.
    if (checked.rejected.length > 0) {
      const decodedIndex = keptPositions(cols.timestamps.length, frame.rejected.map((r) => r.index));
      for (const r of checked.rejected) rejected.push({ index: decodedIndex[r.index], reason: r.reason });
    }
    for (const r of rejected) this.#counters.rejected(r.reason);
    rejected.sort((a, b) => a.index - b.index);
    const kept = checked.kept;
    const accepted = kept.timestamps.length;
    if (accepted === 0) return Promise.resolve(this.#answer(frame.seq, 0, rejected, started));
    this.#arrival?.(kept, now);
    return this.#answerWhenDurable(this.#publish(kept, numbers), frame.seq, accepted, rejected, started);
  }

  /**
   * The answer once `published` resolves. A function of its own so that what waits for the fsync is
   * the answer's few fields, not the frame's columns and names: thousands of frames wait at once, and
   * whatever they hold survives young-generation collections and is copied by each.
   */
  #answerWhenDurable(published: Promise<void>, seq: number | undefined, accepted: number, rejected: IntakeResult["rejected"], started: number): Promise<IntakeResult> {
    return published.then(() => {
      this.#counters.accepted(accepted);
      return this.#answer(seq, accepted, rejected, started);
    });
  }

  #answer(seq: number | undefined, accepted: number, rejected: IntakeResult["rejected"], started: number): IntakeResult {
    this.#counters.ackLatency(performance.now() - started);
    return { seq, accepted, rejected };
  }

  /**
   * Publishes a frame's kept readings. Small frames (a device's few readings) wait for the end of this
   * event-loop turn and go out together with the others that arrived in it: one route, one bus entry
   * per stream and one hand-over to each worker for hundreds of frames, not one each.
   */
  #publish(kept: FlaggedColumns, numbers: Uint32Array): Promise<void> {
    if (kept.timestamps.length >= GATHER_BELOW) return this.#publishNow(kept, this.#placesOf(kept.devices, numbers));
    this.#gathered.push(kept);
    this.#gatheredPublished ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batches = this.#gathered;
      this.#gathered = [];
      this.#gatheredPublished = undefined;
      return this.#publishNow(mergeBatches(batches));
    });
    return this.#gatheredPublished;
  }

  async #publishNow(cols: FlaggedColumns, places?: Uint32Array): Promise<void> {
    const parts = route(cols, this.#config.partitions, this.#config.region, this.#registry, places);
    await Promise.all(parts.map((p) => this.#bus.publish(p.stream, p.batch)));
  }

  /** Each dictionary entry's place, kept by device number (a frame's devices are looked up by name once, in numbersOf). */
  #placesOf(devices: readonly string[], numbers: Uint32Array): Uint32Array {
    const out = new Uint32Array(devices.length);
    const places = (this.#places = withRoom(this.#places, this.#devices.size, -1));
    for (let i = 0; i < devices.length; i++) {
      const n = numbers[i];
      if (n === UNNUMBERED) {
        out[i] = placeOf(devices[i], this.#config.partitions, this.#registry);
        continue;
      }
      let place = places[n];
      if (place < 0) place = places[n] = placeOf(devices[i], this.#config.partitions, this.#registry);
      out[i] = place;
    }
    return out;
  }

  /**
   * The frame's readings as columns, and what decoding refused. Large frames go to the frame decoder
   * (the worker threads) when there is one; the rest are decoded here, into the one builder, which
   * take() empties before anything awaits.
   */
  #decode(kind: FrameKind, payload: Uint8Array | string, options: { precision?: string }): DecodedColumns | Promise<DecodedColumns> {
    const precision = kind === "line" ? PRECISION[options.precision ?? "ns"] : "ns";
    if (!precision) throw new FrameError("BAD_FIELD", `precision ${JSON.stringify(options.precision)} is not one of ns, us, ms, s`);
    const now = Date.now() * 1000;
    if (this.#decoder && typeof payload !== "string" && payload.length >= OFF_THREAD_BYTES) {
      return this.#decoder(kind, payload, precision, now, this.#limits);
    }
    const builder = this.#builder;
    let decoding: FrameDecoding;
    try {
      decoding = decodeFrame(kind, payload, builder, this.#limits, this.#codec, precision, now);
    } catch (err) {
      builder.take();
      throw err;
    }
    const cols = builder.take();
    if (decoding.blocks) cols.blocks = decoding.blocks;
    return { frame: decoding.frame, format: decoding.format, cols };
  }

  /** Devices of this frame over their per-second budget (`numbers`: each dictionary entry's device number). */
  #overRate(devices: readonly string[], numbers: Uint32Array, rows: Uint32Array): Set<string> {
    if (this.#counts.length < devices.length) this.#counts = new Uint32Array(Math.max(devices.length, 2 * this.#counts.length));
    const counts = this.#counts;
    counts.fill(0, 0, devices.length);
    for (let i = 0; i < rows.length; i++) counts[rows[i]]++;
    const over = new Set<string>();
    const now = performance.now();
    for (let i = 0; i < devices.length; i++) {
      if (counts[i] > 0 && numbers[i] !== UNNUMBERED && !this.#budgets.take(numbers[i], counts[i], now)) over.add(devices[i]);
    }
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

// Builds a connection's frames before the clock starts, from the fixed bench seed: gateway readings
// frames, edge-compressed codec block frames, JSON device frames and line-protocol bodies. Values are
// 2-decimal gauges (what plant sensors print), timestamps 1 Hz per device with a per-device offset.
import type { Codec } from "iotpipe/codec";
import { encodeBinaryFrame, encodeBlockFrame, type BlockEntry } from "../../src/ingest/frames/index.js";
import type { ReadingColumns } from "../../src/archive/batch.js";
import { Rng } from "../datasets/prng.js";
import type { BinaryWorkload, BlockWorkload, JsonWorkload, LineWorkload } from "./protocol.js";

/** A connection's pre-encoded frames (WebSocket messages or HTTP bodies). */
export interface FramePool {
  frames: Buffer[];
  /** Readings in each frame. */
  readings: Uint32Array;
  /** Text (JSON) frames are sent as WebSocket text messages. */
  text: boolean;
  /**
   * Line protocol only: rewrites frame `f`'s timestamps in place to the pool's own plus `shiftUs`, so
   * a pool sent again continues its series forward in time instead of repeating them. Digits only
   * change in place (the width of a nanosecond timestamp is fixed until 2286).
   */
  restamp?: (f: number, shiftUs: number) => void;
  /** Microseconds of data the pool spans (the shift from one pass to the next). */
  spanUs?: number;
}

/** Passes over a line-protocol pool the timestamps leave room for (the data starts that far back). */
export const MAX_RESTAMPS = 30;

const SECOND_US = 1_000_000;

/** A deterministic generator for connection `connection` of a workload seeded `seed`. */
export function rngFor(seed: number, kind: string, connection: number): Rng {
  return Rng.for(`ingest/${kind}/${seed}/${connection}`);
}

/** Device names are global: `<prefix>-<connection>-<device>`, so connections never share a series. */
export function deviceName(prefix: string, connection: number, device: number): string {
  return `${prefix}-${String(connection).padStart(5, "0")}-${String(device).padStart(4, "0")}`;
}

/** Where in its second device `d` samples (ms steps): devices of one gateway do not all tick at once. */
function offsetUs(d: number): number {
  return ((d * 7919) % 1000) * 1000;
}

/** 2-decimal gauges, one per series: a mean-reverting walk around a per-series level. */
class Gauges {
  readonly #level: Float64Array;
  readonly #value: Float64Array;
  readonly #step: Float64Array;
  readonly #rng: Rng;

  constructor(series: number, rng: Rng) {
    this.#rng = rng;
    this.#level = new Float64Array(series);
    this.#value = new Float64Array(series);
    this.#step = new Float64Array(series);
    for (let s = 0; s < series; s++) {
      this.#level[s] = rng.uniform(5, 80);
      this.#value[s] = this.#level[s];
      this.#step[s] = rng.uniform(0.01, 0.2);
    }
  }

  next(s: number): number {
    const v = this.#value[s] + this.#step[s] * this.#rng.gaussian() - 0.01 * (this.#value[s] - this.#level[s]);
    this.#value[s] = v;
    return Math.round(v * 100) / 100;
  }
}

/** Gateway readings frames: rows tick by tick, device by device, channel by channel, cut into frames of 1 000–5 000. */
export function binaryPool(w: BinaryWorkload, connection: number, seed: number, startUs: number): FramePool {
  const rng = rngFor(seed, "binary", connection);
  const devices = Array.from({ length: w.devicesPerConnection }, (_, d) => deviceName("gw", connection, d));
  const channels = w.channels;
  const perTick = devices.length * channels.length;
  const gauges = new Gauges(perTick, rng);
  const frames: Buffer[] = [];
  const readings: number[] = [];
  let row = 0; // position in the connection's row stream
  while (row < w.readingsPerConnection) {
    const n = rng.int(w.minReadings, w.maxReadings);
    const cols: ReadingColumns = {
      devices,
      channels,
      device: new Uint32Array(n),
      channel: new Uint32Array(n),
      timestamps: new Float64Array(n),
      values: new Float64Array(n),
    };
    for (let i = 0; i < n; i++, row++) {
      const tick = Math.floor(row / perTick);
      const series = row % perTick;
      const d = Math.floor(series / channels.length);
      cols.device[i] = d;
      cols.channel[i] = series % channels.length;
      cols.timestamps[i] = startUs + tick * SECOND_US + offsetUs(d);
      cols.values[i] = gauges.next(series);
    }
    frames.push(Buffer.from(encodeBinaryFrame(frames.length + 1, cols)));
    readings.push(n);
  }
  return { frames, readings: Uint32Array.from(readings), text: false };
}

/**
 * Edge gateways: each series buffered for `blockPoints` seconds and compressed with iotpipe/codec
 * (in order, as a gateway would), blocks sent window by window, `blocksPerFrame` to a frame.
 */
export function blockPool(w: BlockWorkload, connection: number, seed: number, startUs: number, codec: Codec): FramePool {
  const rng = rngFor(seed, "blocks", connection);
  const devices = Array.from({ length: w.devicesPerConnection }, (_, d) => deviceName("edge", connection, d));
  const series = devices.length * w.channels.length;
  const gauges = new Gauges(series, rng);
  const windows = Math.max(1, Math.ceil(w.readingsPerConnection / (series * w.blockPoints)));
  const frames: Buffer[] = [];
  const readings: number[] = [];
  const ts = new Float64Array(w.blockPoints);
  const vs = new Float64Array(w.blockPoints);
  let entries: BlockEntry[] = [];
  let inFrame = 0;
  const flush = () => {
    frames.push(Buffer.from(encodeBlockFrame(frames.length + 1, entries)));
    readings.push(inFrame);
    entries = [];
    inFrame = 0;
  };
  for (let win = 0; win < windows; win++) {
    for (let s = 0; s < series; s++) {
      const d = Math.floor(s / w.channels.length);
      for (let i = 0; i < w.blockPoints; i++) {
        ts[i] = startUs + (win * w.blockPoints + i) * SECOND_US + offsetUs(d);
        vs[i] = gauges.next(s);
      }
      entries.push({ device: devices[d], channel: w.channels[s % w.channels.length], block: codec.encode(ts, vs) });
      inFrame += w.blockPoints;
      if (entries.length === w.blocksPerFrame) flush();
    }
  }
  if (entries.length > 0) flush();
  return { frames, readings: Uint32Array.from(readings), text: false };
}

/** One device's JSON frames: `{"seq":n,"readings":[{"device","channel","ts","value"},…]}`, channels round robin. */
export function jsonPool(w: JsonWorkload, connection: number, seed: number, startUs: number): FramePool {
  const rng = rngFor(seed, "json", connection);
  const device = deviceName("dev", connection, 0);
  const gauges = new Gauges(w.channels.length, rng);
  const offset = offsetUs(connection);
  const frames: Buffer[] = [];
  let k = 0;
  for (let f = 0; f < w.framesPerConnection; f++) {
    const parts: string[] = [];
    for (let i = 0; i < w.readingsPerFrame; i++, k++) {
      const c = k % w.channels.length;
      const ts = startUs + Math.floor(k / w.channels.length) * SECOND_US + offset;
      parts.push(`{"device":"${device}","channel":"${w.channels[c]}","ts":${ts},"value":${gauges.next(c)}}`);
    }
    frames.push(Buffer.from(`{"seq":${f + 1},"readings":[${parts.join(",")}]}`));
  }
  return { frames, readings: new Uint32Array(frames.length).fill(w.readingsPerFrame), text: true };
}

/**
 * Telegraf-style line protocol: `machine,device=<id>,site=plant-1 temp=…,pressure=… <ns>`, one line
 * per device and tick, so a body of 5 000 lines carries 5 000 × channels readings.
 */
export function linePool(w: LineWorkload, connection: number, seed: number, startUs: number): FramePool {
  const rng = rngFor(seed, "line", connection);
  const devices = Array.from({ length: w.devicesPerConnection }, (_, d) => deviceName("lp", connection, d));
  const prefixes = devices.map((d) => `machine,device=${d},site=plant-${connection % 4} `);
  const gauges = new Gauges(devices.length * w.channels.length, rng);
  const frames: Buffer[] = [];
  const stamps: { at: Uint32Array; us: Float64Array }[] = [];
  let line = 0;
  for (let b = 0; b < w.batchesPerConnection; b++) {
    const parts: string[] = [];
    const at = new Uint32Array(w.linesPerBatch);
    const us = new Float64Array(w.linesPerBatch);
    let length = 0;
    for (let i = 0; i < w.linesPerBatch; i++, line++) {
      const d = line % devices.length;
      const tick = Math.floor(line / devices.length);
      const fields = w.channels.map((c, k) => `${c}=${gauges.next(d * w.channels.length + k)}`).join(",");
      us[i] = startUs + tick * SECOND_US + offsetUs(d);
      // Nanoseconds pass 2^53: written as µs followed by three zeros.
      const head = `${prefixes[d]}${fields} `;
      const text = `${head}${us[i]}000\n`;
      at[i] = length + head.length; // ASCII: characters are bytes
      length += text.length;
      parts.push(text);
    }
    frames.push(Buffer.from(parts.join(""), "latin1"));
    stamps.push({ at, us });
  }
  const lines = Math.ceil(line / devices.length);
  const restamp = (f: number, shiftUs: number) => {
    const body = frames[f];
    const { at, us } = stamps[f];
    for (let i = 0; i < at.length; i++) {
      // Same digit count as the original: write the new µs right-aligned in its 16 digits.
      let v = us[i] + shiftUs;
      for (let p = at[i] + 15; p >= at[i]; p--) {
        body[p] = 48 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
  };
  return { frames, readings: new Uint32Array(frames.length).fill(w.linesPerBatch * w.channels.length), text: false, restamp, spanUs: lines * SECOND_US };
}

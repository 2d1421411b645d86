// The frame decoders' bench: how many readings per second one core decodes from each ingest format
// (binary readings and block frames, JSON batches, line protocol), over seeded data of a few shapes.
// `npx tsx bench/ingest-frames.ts [--quick]`; one JSON object per line on stdout.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import type { ReadingColumns } from "../src/archive/batch.js";
import { createCodec, type Codec } from "../src/codec/index.js";
import { BatchBuilder } from "../src/ingest/batch-builder.js";
import {
  decodeBinaryFrame,
  decodeJsonFrame,
  decodeLineProtocol,
  encodeBinaryFrame,
  encodeBlockFrame,
  type DecodedFrame,
} from "../src/ingest/frames/index.js";
import { Rng } from "./datasets/prng.js";
import { FULL_TIMING, QUICK_TIMING, secondsPerPass, type TimingPlan } from "./timing.js";

const T0 = 1_700_000_000_000_000;
/** Readings per frame: Telegraf's default metric_batch_size, and a gateway's second of 1 000 sensors. */
const FRAME_READINGS = 1000;
const LIMITS = { maxReadings: 1 << 20, maxNameLength: 256 };

/** A data shape: `devices` × `channels` series sampled each second, values from `value`. */
interface Shape {
  name: string;
  devices: number;
  channels: number;
  value(rng: Rng, series: number, step: number): number;
}

const SHAPES: Shape[] = [
  // Sensor gauges printed with two decimals: what most plants send.
  { name: "gauge_2dp", devices: 100, channels: 10, value: (rng, s, k) => Math.round((20 + (s % 7) + 3 * Math.sin(k / 60) + rng.next()) * 100) / 100 },
  // Binary floats with full mantissas (computed quantities, vibration RMS).
  { name: "float_noise", devices: 100, channels: 10, value: (rng) => rng.next() * 1000 - 500 },
  // Monotonic integer counters (energy meters, piece counts).
  { name: "counter", devices: 100, channels: 10, value: (_, s, k) => s * 1_000_000 + k * 7 },
];

/** `seconds` seconds of every series of the shape, in arrival order (all series of a second together). */
function readingsOf(shape: Shape, seconds: number): ReadingColumns {
  const rng = Rng.for(`ingest-frames/${shape.name}`);
  const series = shape.devices * shape.channels;
  const n = series * seconds;
  const columns = {
    devices: Array.from({ length: shape.devices }, (_, d) => `press-${d}`),
    channels: Array.from({ length: shape.channels }, (_, c) => `channel_${c}`),
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: new Float64Array(n),
    values: new Float64Array(n),
  };
  for (let k = 0, i = 0; k < seconds; k++) {
    for (let s = 0; s < series; s++, i++) {
      columns.device[i] = Math.floor(s / shape.channels);
      columns.channel[i] = s % shape.channels;
      // Clocks jitter by a few ms around the second, as device clocks do.
      columns.timestamps[i] = T0 + k * 1_000_000 + Math.floor(rng.next() * 5000);
      columns.values[i] = shape.value(rng, s, k);
    }
  }
  return columns;
}

interface Format {
  name: string;
  /** The readings as frames of this format. */
  frames(r: ReadingColumns, codec: Codec): (string | Uint8Array)[];
  decode(frame: string | Uint8Array, builder: BatchBuilder, codec: Codec): DecodedFrame;
}

function chunks<T>(n: number, each: (from: number, to: number) => T): T[] {
  const out: T[] = [];
  for (let from = 0; from < n; from += FRAME_READINGS) out.push(each(from, Math.min(n, from + FRAME_READINGS)));
  return out;
}

/** `items` in groups of `size`, each made into one frame. */
function groups<T, F>(items: readonly T[], size: number, frame: (seq: number, group: T[]) => F): F[] {
  const out: F[] = [];
  for (let k = 0; k < items.length; k += size) out.push(frame(k, items.slice(k, k + size)));
  return out;
}

const FORMATS: Format[] = [
  {
    name: "binary",
    frames: (r) => chunks(r.values.length, (from, to) => encodeBinaryFrame(from, r, from, to)),
    decode: (f, b) => decodeBinaryFrame(f as Uint8Array, b, LIMITS),
  },
  {
    // Edge-compressed: one codec block per series, as many blocks per frame as make ~1 000 readings.
    name: "binary_blocks",
    frames: (r, codec) => {
      const bySeries = new Map<number, { ts: number[]; values: number[] }>();
      for (let i = 0; i < r.values.length; i++) {
        const key = r.device[i] * r.channels.length + r.channel[i];
        let s = bySeries.get(key);
        if (!s) bySeries.set(key, (s = { ts: [], values: [] }));
        s.ts.push(r.timestamps[i]);
        s.values.push(r.values[i]);
      }
      const blocks = [...bySeries].map(([key, s]) => ({
        device: r.devices[Math.floor(key / r.channels.length)],
        channel: r.channels[key % r.channels.length],
        block: codec.encode(Float64Array.from(s.ts), Float64Array.from(s.values)),
      }));
      return groups(blocks, Math.max(1, Math.round((FRAME_READINGS * blocks.length) / r.values.length)), (seq, group) => encodeBlockFrame(seq, group));
    },
    decode: (f, b, codec) => decodeBinaryFrame(f as Uint8Array, b, LIMITS, codec),
  },
  {
    name: "json",
    frames: (r) =>
      chunks(r.values.length, (from, to) => {
        const readings = [];
        for (let i = from; i < to; i++) readings.push({ device: r.devices[r.device[i]], channel: r.channels[r.channel[i]], ts: r.timestamps[i], value: r.values[i] });
        return JSON.stringify({ seq: from, readings });
      }),
    decode: (f, b) => decodeJsonFrame(f, b, LIMITS),
  },
  {
    // One field per line, as `temp,device=press-17 value=21.5 1700000000000000000`.
    name: "line_protocol",
    frames: (r) =>
      chunks(r.values.length, (from, to) => {
        let body = "";
        for (let i = from; i < to; i++) body += `${r.channels[r.channel[i]]},device=${r.devices[r.device[i]]} value=${r.values[i]} ${r.timestamps[i]}000\n`;
        return new TextEncoder().encode(body);
      }),
    decode: (f, b) => decodeLineProtocol(f, b, LIMITS, { now: T0 }),
  },
  {
    // Telegraf's shape: one line per device and second, every channel a field, more tags than needed.
    name: "line_protocol_telegraf",
    frames: (r) => {
      const lines: string[] = [];
      for (let i = 0; i < r.values.length; ) {
        const d = r.device[i];
        const fields: string[] = [];
        const ts = r.timestamps[i];
        for (; i < r.values.length && r.device[i] === d && fields.length < r.channels.length; i++) fields.push(`${r.channels[r.channel[i]]}=${r.values[i]}`);
        lines.push(`press,host=${r.devices[d]},plant=north,line=3 ${fields.join(",")} ${ts}000\n`);
      }
      const perFrame = Math.max(1, Math.round((FRAME_READINGS * lines.length) / r.values.length));
      return groups(lines, perFrame, (_, group) => new TextEncoder().encode(group.join("")));
    },
    decode: (f, b) => decodeLineProtocol(f, b, LIMITS, { now: T0 }),
  },
];

function line(figure: string, format: string, shape: string, value: number, unit: string, cores: number): string {
  return JSON.stringify({ figure, format, shape, value: Number(value.toPrecision(4)), unit, cores });
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const plan: TimingPlan = args.quick ? QUICK_TIMING : FULL_TIMING;
  // Series of 300 points (5 min at 1 Hz): the block frames carry blocks of that size.
  const seconds = args.quick ? 60 : 300;
  const cores = availableParallelism();
  const codec = await createCodec();
  for (const shape of SHAPES) {
    const readings = readingsOf(shape, seconds);
    const n = readings.values.length;
    for (const format of FORMATS) {
      const frames = format.frames(readings, codec);
      const bytes = frames.reduce((sum, f) => sum + (typeof f === "string" ? Buffer.byteLength(f) : f.length), 0);
      // Correctness first: every reading comes back, none is refused.
      const check = new BatchBuilder();
      let decoded = 0;
      for (const f of frames) {
        const frame = format.decode(f, check, codec);
        if (frame.rejected.length > 0) throw new Error(`${format.name}/${shape.name}: ${JSON.stringify(frame.rejected[0])}`);
        decoded += frame.readings;
      }
      if (decoded !== n) throw new Error(`${format.name}/${shape.name}: decoded ${decoded} of ${n} readings`);
      const perPass = secondsPerPass(() => {
        const builder = new BatchBuilder();
        for (const f of frames) format.decode(f, builder, codec);
      }, plan);
      console.log(line("decode_readings_per_s", format.name, shape.name, n / perPass, "readings/s", cores));
      console.log(line("bytes_per_reading", format.name, shape.name, bytes / n, "B", cores));
    }
    const encode = secondsPerPass(() => {
      for (let from = 0; from < n; from += FRAME_READINGS) encodeBinaryFrame(from, readings, from, Math.min(n, from + FRAME_READINGS));
    }, plan);
    console.log(line("encode_readings_per_s", "binary", shape.name, n / encode, "readings/s", cores));
  }
}

await main();

// JSON text frames: one reading, or a batch under "readings" (a gateway may name the device per reading).
// A frame in the plain form is read by the WebAssembly scanner (json-scan.ts); any other by JSON.parse,
// after which each reading is checked field by field and either goes into the builder or becomes a
// Rejection. Unknown fields are ignored, so senders may add their own.
import type { BatchBuilder } from "../batch-builder.js";
import { FrameError, type Rejection, type RejectReason } from "./errors.js";
import type { DecodedFrame, FrameLimits } from "./frame.js";
import { isoMicros } from "./iso-time.js";
import { nameProblem, quoteName } from "./names.js";
import { decodeScannedJson } from "./json-scan.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NON_FINITE = new Set(["NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "+inf"]);

type Json = Record<string, unknown>;

/**
 * Decodes a JSON frame into `builder`:
 * `{"seq":12,"device":"d1","channel":"temp","ts":1700000000000000,"value":21.5}` or
 * `{"seq":12,"device":"d1","readings":[{"channel":"temp","ts":…,"value":…},…]}`. `ts` is integral µs
 * since the epoch, or `time` an ISO-8601 string with a zone; `value` a number or a boolean (1/0).
 * Throws FrameError for text that is not a JSON object, a bad `seq` or `readings`, or too many readings.
 * (`scan` false, @internal: JSON.parse reads every frame; tests compare the two paths.)
 */
export function decodeJsonFrame(input: string | Uint8Array, builder: BatchBuilder, limits: FrameLimits, scan = true): DecodedFrame {
  if (scan && typeof input === "string") {
    const scanned = decodeScannedJson(input, builder, limits);
    if (scanned) return scanned;
  }
  const frame = parse(input);
  const seq = frame.seq;
  if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) {
    throw new FrameError("BAD_FIELD", `seq ${JSON.stringify(seq)} is not an integer in 0..2^53 − 1`);
  }
  const readings = frame.readings;
  const start = builder.length;
  const reader = new ReadingReader(builder, limits, frame.device);
  try {
    if (readings === undefined) reader.read(frame, 0);
    else if (!Array.isArray(readings)) {
      throw new FrameError("BAD_FIELD", `"readings" is ${describe(readings)}, not an array`);
    } else {
      if (readings.length > limits.maxReadings) {
        throw new FrameError("TOO_LARGE", `${readings.length} readings, more than the ${limits.maxReadings} a frame may carry`);
      }
      for (let i = 0; i < readings.length; i++) reader.read(readings[i], i);
    }
  } catch (err) {
    builder.truncate(start);
    throw err;
  }
  return { seq: seq as number | undefined, readings: builder.length - start, rejected: reader.rejected };
}

function parse(input: string | Uint8Array): Json {
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new FrameError("BAD_JSON", `a JSON frame of ${input.length} bytes is not UTF-8`);
    }
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    throw new FrameError("BAD_JSON", `not JSON (${text.length} characters): ${message}`, at ? Number(at[1]) : undefined);
  }
  if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
    throw new FrameError("BAD_FIELD", `a JSON frame is an object, got ${describe(frame)}`);
  }
  return frame as Json;
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`.slice(0, 80);
}

/** Checks readings one by one; remembers the last device and channel so a batch checks each name once. */
class ReadingReader {
  readonly rejected: Rejection[] = [];
  readonly #builder: BatchBuilder;
  readonly #limits: FrameLimits;
  readonly #frameDevice: unknown;
  #device: string | undefined;
  #deviceId = 0;
  #channel: string | undefined;
  #channelId = 0;

  constructor(builder: BatchBuilder, limits: FrameLimits, frameDevice: unknown) {
    this.#builder = builder;
    this.#limits = limits;
    this.#frameDevice = frameDevice;
  }

  read(r: unknown, index: number): void {
    if (r === null || typeof r !== "object" || Array.isArray(r)) return this.#reject(index, "malformed", `reading is ${describe(r)}, not an object`);
    const reading = r as Json;
    const device = reading.device !== undefined ? reading.device : this.#frameDevice;
    if (typeof device !== "string" || device !== this.#device) {
      const problem = this.#nameProblem(device, "device");
      if (problem !== undefined) return this.#reject(index, problem[0], problem[1]);
      this.#device = device as string;
      this.#deviceId = this.#builder.deviceId(device as string);
    }
    const channel = reading.channel;
    if (typeof channel !== "string" || channel !== this.#channel) {
      const problem = this.#nameProblem(channel, "channel");
      if (problem !== undefined) return this.#reject(index, problem[0], problem[1]);
      this.#channel = channel as string;
      this.#channelId = this.#builder.channelId(channel as string);
    }
    let ts: number;
    if (reading.ts !== undefined) {
      ts = reading.ts as number;
      if (!Number.isSafeInteger(ts)) return this.#reject(index, "bad_timestamp", `ts ${describe(reading.ts)} is not an integral number of µs within ±2^53`);
    } else if (reading.time !== undefined) {
      const time = reading.time;
      if (typeof time !== "string") return this.#reject(index, "bad_timestamp", `time is ${describe(time)}, not an ISO-8601 string`);
      const us = isoMicros(time);
      if (typeof us === "string") return this.#reject(index, "bad_timestamp", `time ${quoteName(time)}: ${us}`);
      ts = us;
    } else return this.#reject(index, "missing_field", "no ts or time");
    const raw = reading.value;
    let value: number;
    if (typeof raw === "number") {
      // JSON.parse turns 1e999 into Infinity.
      if (!Number.isFinite(raw)) return this.#reject(index, "bad_value", `value ${raw}`);
      value = raw;
    } else if (typeof raw === "boolean") value = raw ? 1 : 0;
    else if (raw === undefined) return this.#reject(index, "missing_field", "no value");
    else if (raw === null || (typeof raw === "string" && NON_FINITE.has(raw))) return this.#reject(index, "bad_value", `value ${describe(raw)}`);
    else return this.#reject(index, "non_numeric", `value is ${describe(raw)}`);
    this.#builder.add(this.#deviceId, this.#channelId, ts, value);
  }

  #nameProblem(name: unknown, what: "device" | "channel"): [RejectReason, string] | undefined {
    if (name === undefined) return ["missing_field", `no ${what}`];
    if (typeof name !== "string") return ["bad_name", `${what} is ${describe(name)}, not a string`];
    const problem = nameProblem(name, this.#limits.maxNameLength);
    return problem === undefined ? undefined : ["bad_name", `${what} ${quoteName(name)}: ${problem}`];
  }

  #reject(index: number, reason: RejectReason, detail: string): void {
    this.rejected.push({ index, reason, detail });
  }
}

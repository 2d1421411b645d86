// The WebAssembly JSON frame scanner (assembly/json) as one thread's decoder sees it: a frame in the
// plain form is read in one call into columns over the module's memory, and its names become builder
// ids here; any other frame is left to JSON.parse. One instance per thread, made on first use.
import { jsonWasmBase64 } from "../../../wasm-build/json-wasm.js";
import { wasmBytes } from "../../wasm/base64.js";
import type { BatchBuilder } from "../batch-builder.js";
import type { DecodedFrame, FrameLimits } from "./frame.js";
import { NameCache } from "./name-cache.js";
import { nameProblem } from "./names.js";

interface JsonExports {
  memory: WebAssembly.Memory;
  reserve(length: number): number;
  namesPtr(): number;
  stampsPtr(): number;
  valuesPtr(): number;
  frameSeq(): number;
  read(length: number): number;
  MAX_READINGS: WebAssembly.Global;
  READING_INTS: WebAssembly.Global;
}

/** Per reading: device start, end and hash, channel start, end and hash (byte positions in the frame). */
const READING_INTS = 6;
const utf8 = new TextEncoder();

/** Names that passed the checks, by their bytes (printable ASCII: the scanner takes no other). */
const known = new NameCache();

class JsonScan {
  readonly #x: JsonExports;
  #input = 0;
  #bytes = new Uint8Array(0);
  #names = new Int32Array(0);
  #stamps = new Float64Array(0);
  #values = new Float64Array(0);

  constructor(x: JsonExports) {
    this.#x = x;
  }

  /** Decodes `text` into `builder` when the scanner reads it and every name passes; else undefined, with the builder as it was. */
  decode(text: string, builder: BatchBuilder, limits: FrameLimits): DecodedFrame | undefined {
    const x = this.#x;
    // UTF-8 takes at most three bytes per UTF-16 unit.
    this.#input = x.reserve(text.length * 3);
    if (this.#bytes.buffer !== x.memory.buffer) this.#view();
    const { written } = utf8.encodeInto(text, this.#bytes);
    const n = x.read(written);
    if (n < 0 || n > limits.maxReadings) return undefined;
    const start = builder.length;
    const names = this.#names;
    for (let k = 0, r = 0; k < n; k++, r += READING_INTS) {
      const device = this.#name(names[r], names[r + 1], names[r + 2], limits.maxNameLength);
      const channel = this.#name(names[r + 3], names[r + 4], names[r + 5], limits.maxNameLength);
      if (device === undefined || channel === undefined) {
        builder.truncate(start);
        return undefined;
      }
      builder.add(builder.deviceId(device), builder.channelId(channel), this.#stamps[k], this.#values[k]);
    }
    const seq = x.frameSeq();
    return { seq: seq < 0 ? undefined : seq, readings: n, rejected: [] };
  }

  /** The name in bytes [s, e) (FNV-1a `hash`), or undefined when it would be refused (the JSON.parse path words why). */
  #name(s: number, e: number, hash: number, maxLength: number): string | undefined {
    const bytes = this.#bytes;
    const cached = known.get(bytes, s, e, hash);
    if (cached !== undefined) return cached.length <= maxLength ? cached : undefined;
    const name = String.fromCharCode.apply(null, bytes.subarray(s, e) as unknown as number[]);
    if (nameProblem(name, maxLength) !== undefined) return undefined;
    known.add(bytes, s, e, name);
    return name;
  }

  #view(): void {
    const x = this.#x;
    const buffer = x.memory.buffer;
    const max = x.MAX_READINGS.value as number;
    this.#bytes = new Uint8Array(buffer, this.#input);
    this.#names = new Int32Array(buffer, x.namesPtr(), max * READING_INTS);
    this.#stamps = new Float64Array(buffer, x.stampsPtr(), max);
    this.#values = new Float64Array(buffer, x.valuesPtr(), max);
  }
}

let scanner: JsonScan | undefined;

/**
 * @internal Decodes a JSON frame in the plain form (see assembly/json) into `builder`, exactly as the
 * JSON.parse path would; undefined (the builder untouched) for any other frame.
 */
export function decodeScannedJson(text: string, builder: BatchBuilder, limits: FrameLimits): DecodedFrame | undefined {
  if (!scanner) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(jsonWasmBase64) as BufferSource), {});
    const x = instance.exports as unknown as JsonExports;
    if (x.READING_INTS.value !== READING_INTS) throw new Error(`BUG: the JSON scanner's records are ${x.READING_INTS.value} int32s, this code reads ${READING_INTS}`);
    scanner = new JsonScan(x);
  }
  return scanner.decode(text, builder, limits);
}

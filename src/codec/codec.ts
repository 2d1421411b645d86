// The codec's public face: whole series in, one block out, and back. Each call crosses the WASM
// boundary once; data moves through views over the module's memory, re-created after it grows.
import { instantiateCodec, type CodecExports } from "./module.js";
import { CodecError, errorFromStatus } from "./errors.js";
import { HEADER, VALUE_CODEC_IDS, INTEGER_MODE_IDS, type ValueCodec, type IntegerMode } from "./format.js";
import { parseSummary, type BlockSummary } from "./summary.js";

/** Most points one block holds. */
export const MAX_BLOCK_POINTS = 1 << 20;

/** Overrides of the encoder's own choices, for tests, benchmarks and peers' formats. */
export interface EncodeOptions {
  /** Value codec; "auto" (default) tries candidates and keeps the smallest. */
  values?: ValueCodec | "auto";
  /** Timestamp stream shape; "auto" (default) keeps the smallest. "progression" falls back to auto when the series is not one. */
  timestamps?: IntegerMode | "auto";
}

/** How decoded timestamps are returned. */
export interface DecodeOptions {
  /** "float64" (default): integral µs in a Float64Array, exact to ±2^53. "bigint64": the full int64 range. */
  timestamps?: "float64" | "bigint64";
}

/** One series' points. */
export interface DecodedBlock<T extends Float64Array | BigInt64Array = Float64Array | BigInt64Array> {
  /** Microseconds since the epoch, in stored order. */
  timestamps: T;
  values: Float64Array;
}

/** Options for {@link createCodec}. */
export interface CodecOptions {
  /** A module from compileCodecModule(), so workers instantiate without compiling again. */
  module?: WebAssembly.Module;
}

/** Encodes and decodes iotpipe blocks. One instance per thread; not re-entrant. */
export class Codec {
  readonly #wasm: CodecExports;

  /** @internal Use {@link createCodec}. */
  constructor(wasm: CodecExports) {
    this.#wasm = wasm;
  }

  /**
   * Encodes one series (1 … 2^20 points) into a block. Timestamps are integral microseconds,
   * in any order; values are any doubles and come back bit for bit.
   */
  encode(timestamps: Float64Array | BigInt64Array, values: Float64Array, options: EncodeOptions = {}): Uint8Array {
    const n = values.length;
    if (!(timestamps instanceof Float64Array || timestamps instanceof BigInt64Array) || !(values instanceof Float64Array)) {
      throw new CodecError("BAD_INPUT", "timestamps must be a Float64Array or BigInt64Array and values a Float64Array");
    }
    if (timestamps.length !== n) {
      throw new CodecError("BAD_INPUT", `${timestamps.length} timestamps but ${n} values`);
    }
    if (n < 1 || n > MAX_BLOCK_POINTS) {
      throw new CodecError("BAD_COUNT", `a block holds 1..${MAX_BLOCK_POINTS} points, got ${n}`);
    }
    const forceValues = options.values === undefined || options.values === "auto" ? 0 : VALUE_CODEC_IDS[options.values];
    const forceTs = options.timestamps === undefined || options.timestamps === "auto" ? -1 : INTEGER_MODE_IDS[options.timestamps];
    if (forceValues === undefined || forceTs === undefined) {
      throw new CodecError("BAD_INPUT", `unknown codec option ${JSON.stringify(options)}`);
    }
    const w = this.#wasm;
    if (w.ensure(n, 0) < 0) throw new CodecError("BAD_COUNT", `cannot make room for ${n} points`);
    const buffer = w.memory.buffer;
    const isFloat = timestamps instanceof Float64Array;
    if (isFloat) new Float64Array(buffer, w.timestampsPtr(), n).set(timestamps);
    else new BigInt64Array(buffer, w.timestampsPtr(), n).set(timestamps);
    new Float64Array(buffer, w.valuesPtr(), n).set(values);
    const len = w.encodeBlock(n, isFloat ? 1 : 0, forceValues, forceTs);
    if (len < 0) throw this.#error(len);
    return new Uint8Array(w.memory.buffer, w.blockPtr(), len).slice();
  }

  /** Decodes a block made by {@link Codec.encode}; throws CodecError if it is corrupt or truncated. */
  decode(block: Uint8Array, options?: { timestamps?: "float64" }): DecodedBlock<Float64Array>;
  decode(block: Uint8Array, options: { timestamps: "bigint64" }): DecodedBlock<BigInt64Array>;
  decode(block: Uint8Array, options?: DecodeOptions): DecodedBlock;
  decode(block: Uint8Array, options: DecodeOptions = {}): DecodedBlock {
    const n = this.#load(block);
    const asFloat = options.timestamps !== "bigint64";
    const w = this.#wasm;
    const status = w.decodeBlock(block.length, asFloat ? 1 : 0);
    if (status < 0) throw this.#error(status);
    const buffer = w.memory.buffer;
    const timestamps = asFloat
      ? new Float64Array(buffer, w.timestampsPtr(), n).slice()
      : new BigInt64Array(buffer, w.timestampsPtr(), n).slice();
    return { timestamps, values: new Float64Array(buffer, w.valuesPtr(), n).slice() };
  }

  /**
   * Decodes a block made elsewhere (an edge device's) and tells whether it may be stored as it is:
   * `trusted` when its timestamps strictly increase and its header states exactly its points'
   * statistics (queries answer from headers without decoding, so a header must not lie even with a
   * valid checksum). Throws CodecError when the block does not decode.
   */
  decodeChecked(block: Uint8Array): DecodedBlock<Float64Array> & { trusted: boolean } {
    const n = this.#load(block);
    const w = this.#wasm;
    const status = w.decodeTrusted(block.length);
    if (status < 0) throw this.#error(status);
    const buffer = w.memory.buffer;
    return {
      timestamps: new Float64Array(buffer, w.timestampsPtr(), n).slice(),
      values: new Float64Array(buffer, w.valuesPtr(), n).slice(),
      trusted: (status & 1) === 1,
    };
  }

  /**
   * Decodes into caller-owned arrays (no allocation: the hot path for queries that scan many blocks).
   * The arrays must hold at least the block's count (see summary().count); returns that count.
   */
  decodeInto(block: Uint8Array, timestamps: Float64Array | BigInt64Array, values: Float64Array): number {
    const n = this.#load(block);
    if (timestamps.length < n || values.length < n) {
      throw new CodecError("BAD_INPUT", `block has ${n} points but the output arrays hold ${Math.min(timestamps.length, values.length)}`);
    }
    const asFloat = timestamps instanceof Float64Array;
    const w = this.#wasm;
    const status = w.decodeBlock(block.length, asFloat ? 1 : 0);
    if (status < 0) throw this.#error(status);
    const buffer = w.memory.buffer;
    if (asFloat) timestamps.set(new Float64Array(buffer, w.timestampsPtr(), n));
    else timestamps.set(new BigInt64Array(buffer, w.timestampsPtr(), n));
    values.set(new Float64Array(buffer, w.valuesPtr(), n));
    return n;
  }

  /**
   * Reads a block's summary from its header alone (checksum-verified), without decoding any point.
   * `block` may be just the header's bytes when `blockLength` gives the whole block's length (an
   * index that keeps headers apart from the blocks).
   */
  summary(block: Uint8Array, blockLength = block.length): BlockSummary {
    const w = this.#wasm;
    const headerLength = block.length >= 8 ? block[HEADER.headerLength] | (block[HEADER.headerLength + 1] << 8) : 0;
    const need = Math.max(headerLength, HEADER.fixedBytes + 4);
    if (block.length < need) {
      throw new CodecError("TRUNCATED", `the header needs ${need} bytes, got ${block.length}`, 0);
    }
    if (w.ensure(0, need) < 0) throw new Error("BUG: the workspace refused a header-sized buffer");
    new Uint8Array(w.memory.buffer, w.blockPtr(), need).set(block.subarray(0, need));
    const status = w.checkHeader(blockLength);
    if (status < 0) throw this.#error(status);
    return parseSummary(block.subarray(0, headerLength), blockLength);
  }

  /** Copies a block into the workspace after checking its header; returns its point count. */
  #load(block: Uint8Array): number {
    if (!(block instanceof Uint8Array)) throw new CodecError("BAD_INPUT", "a block is a Uint8Array");
    const w = this.#wasm;
    const copyIn = () => new Uint8Array(w.memory.buffer, w.blockPtr(), block.length).set(block);
    if (w.ensure(0, block.length) < 0) throw new CodecError("LENGTH_MISMATCH", `${block.length} bytes is larger than any block can be`);
    copyIn();
    const n = w.checkHeader(block.length);
    if (n < 0) throw this.#error(n);
    // Room for the points is made only once the header's checksum vouches for the count.
    const grown = w.ensure(n, block.length);
    if (grown < 0) throw new CodecError("BAD_COUNT", `cannot make room for ${n} points`);
    if (grown > 0) copyIn();
    return n;
  }

  #error(status: number): CodecError {
    const w = this.#wasm;
    return errorFromStatus(status, w.errorAt(), w.errorA(), w.errorB());
  }
}

/** Instantiates the WASM codec (compiling it once per realm unless a module is given). */
export async function createCodec(options: CodecOptions = {}): Promise<Codec> {
  return new Codec(await instantiateCodec(options.module));
}

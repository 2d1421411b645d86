// Loads the compiled codec module without touching the file system, so the same code runs in Node,
// browsers and workers. Compile once with compileCodecModule() and hand the Module to each worker.
import { codecWasmBase64 } from "../../wasm-build/codec-wasm.js";
import { wasmBytes } from "../wasm/base64.js";

/** @internal The module's exports (assembly/codec/index.ts). */
export interface CodecExports {
  memory: WebAssembly.Memory;
  ensure(points: number, blockBytes: number): number;
  encodeBlock(n: number, tsAreFloat: number, forceValues: number, forceTimestamps: number): number;
  decodeBlock(len: number, tsAsFloat: number): number;
  checkHeader(len: number): number;
  decodeTrusted(len: number): number;
  timestampsPtr(): number;
  valuesPtr(): number;
  blockPtr(): number;
  errorAt(): bigint;
  errorA(): bigint;
  errorB(): bigint;
  MAX_POINTS: WebAssembly.Global;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the codec's WebAssembly module (once per realm); share the result with workers. */
export function compileCodecModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(wasmBytes(codecWasmBase64) as BufferSource);
  return compiled;
}

/** @internal */
export async function instantiateCodec(module?: WebAssembly.Module): Promise<CodecExports> {
  const instance = await WebAssembly.instantiate(module ?? (await compileCodecModule()), {});
  return instance.exports as unknown as CodecExports;
}

// Loads the compiled codec module without touching the file system, so the same code runs in Node,
// browsers and workers. Compile once with compileCodecModule() and hand the Module to each worker.
import { codecWasmBase64 } from "../../wasm-build/codec-wasm.js";

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

function wasmBytes(): Uint8Array {
  const text = atob(codecWasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the codec's WebAssembly module (once per realm); share the result with workers. */
export function compileCodecModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(wasmBytes() as BufferSource);
  return compiled;
}

/** @internal */
export async function instantiateCodec(module?: WebAssembly.Module): Promise<CodecExports> {
  const instance = await WebAssembly.instantiate(module ?? (await compileCodecModule()), {});
  return instance.exports as unknown as CodecExports;
}

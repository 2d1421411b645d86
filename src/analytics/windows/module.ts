// Loads the compiled window kernel (assembly/windows) without touching the file system. Compile once
// with compileWindowModule() and instantiate it once per window definition (its state size depends on it).
import { windowsWasmBase64 } from "../../../wasm-build/windows-wasm.js";
import { wasmBytes } from "../../wasm/base64.js";

/** @internal The module's exports (assembly/windows/index.ts). */
export interface WindowExports {
  memory: WebAssembly.Memory;
  configureWindow(paneUs: number, panes: number, sessionGapUs: number, outOfOrdernessUs: number, allowedLatenessUs: number, idleUs: number, sketch: number): number;
  ensure(points: number, series: number, devices: number): number;
  windowBatch(n: number, arrival: number): number;
  sweepWindows(now: number): number;
  forgetAll(): void;
  watermarkOf(device: number): number;
  reserveRecords(count: number): void;
  mergeRecords(dst: number, src: number): void;
  stateBytes(): number;
  seriesPtr(): number;
  devicesPtr(): number;
  timestampsPtr(): number;
  valuesPtr(): number;
  flagsPtr(): number;
  resultsPtr(): number;
  RECORD_BYTES: WebAssembly.Global;
  MAX_BATCH: WebAssembly.Global;
  MAX_SERIES: WebAssembly.Global;
  LATE: WebAssembly.Global;
  UPDATE: WebAssembly.Global;
  SKIPPED: WebAssembly.Global;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the window module (once per realm); share the result with workers. */
export function compileWindowModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(wasmBytes(windowsWasmBase64) as BufferSource);
  return compiled;
}

/** @internal */
export async function instantiateWindows(module?: WebAssembly.Module): Promise<WindowExports> {
  const instance = await WebAssembly.instantiate(module ?? (await compileWindowModule()), {});
  return instance.exports as unknown as WindowExports;
}

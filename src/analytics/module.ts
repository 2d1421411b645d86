// Loads the compiled analytics kernels (assembly/analytics) without touching the file system. Compile
// once with compileAnalyticsModule() and instantiate it in every worker.
import { analyticsWasmBase64 } from "../../wasm-build/analytics-wasm.js";
import { wasmBytes } from "../wasm/base64.js";

/** @internal The module's exports (assembly/analytics/index.ts). */
export interface AnalyticsExports {
  memory: WebAssembly.Memory;
  ensure(points: number, series: number): number;
  configureNovelty(learnReadings: number, suppressReadings: number): void;
  configureHealth(learnReadings: number, skewToleranceUs: number): void;
  scoreBatch(n: number): number;
  judgeBatch(n: number): number;
  sweepBatch(now: number): number;
  describe(slot: number, lo: number, hi: number, driftTolerance: number, counter: number): number;
  resetSeries(first: number, count: number): number;
  seriesPtr(): number;
  timestampsPtr(): number;
  arrivalsPtr(): number;
  valuesPtr(): number;
  referencesPtr(): number;
  scoresPtr(): number;
  findingsPtr(): number;
  STATE_BYTES: WebAssembly.Global;
  HEALTH_STATE_BYTES: WebAssembly.Global;
  MAX_BATCH: WebAssembly.Global;
  MAX_SERIES: WebAssembly.Global;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the analytics module (once per realm); share the result with workers. */
export function compileAnalyticsModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(wasmBytes(analyticsWasmBase64) as BufferSource);
  return compiled;
}

/** @internal */
export async function instantiateAnalytics(module?: WebAssembly.Module): Promise<AnalyticsExports> {
  const instance = await WebAssembly.instantiate(module ?? (await compileAnalyticsModule()), {});
  return instance.exports as unknown as AnalyticsExports;
}

// The WebAssembly line-protocol scanner (assembly/lines) as one thread's parser sees it: a body is
// copied in once, then each scan() reads plain lines in bulk into column views over the module's memory
// and stops at a line the JS parser must read itself. One instance per thread, made on first use.
import { linesWasmBase64 } from "../../../wasm-build/lines-wasm.js";
import { wasmBytes } from "../../wasm/base64.js";
import type { Precision } from "./line-values.js";

interface LinesExports {
  memory: WebAssembly.Memory;
  reserve(length: number): number;
  tagsPtr(): number;
  linesPtr(): number;
  stampsPtr(): number;
  keyStartsPtr(): number;
  keyEndsPtr(): number;
  valuesPtr(): number;
  statusesPtr(): number;
  stoppedAt(): number;
  stoppedLine(): number;
  stopReason(): number;
  scan(length: number, from: number, lineNo: number, precision: number, now: number): number;
  MAX_LINES: WebAssembly.Global;
  MAX_FIELDS: WebAssembly.Global;
  TAGS_BYTES: WebAssembly.Global;
  LINE_INTS: WebAssembly.Global;
}

/** A line record: LINE_INTS int32s, at these offsets (the JS parser fills one of its own for the lines it reads). */
export const LINE_INTS = 10;
export const AT_LINE = 0;
export const AT_MEASUREMENT_START = 1;
export const AT_MEASUREMENT_END = 2;
/** The rank of the device tag found among the parse's device tag keys (NO_DEVICE: none). */
export const AT_DEVICE_RANK = 3;
export const AT_DEVICE_START = 4;
export const AT_DEVICE_END = 5;
/** The device tag value's FNV-1a hash (byte-interner.ts' fnvOf). */
export const AT_DEVICE_HASH = 6;
export const AT_FIRST_FIELD = 7;
export const AT_FIELD_COUNT = 8;
/** 1: the measurement and field keys are the previous record's, byte for byte. */
export const AT_SAME_SHAPE = 9;
/** A tag rank above every device tag's: the line names no device. */
export const NO_DEVICE = 0x7fffffff;
/** scan() stopped at a line the JS parser reads (then scanning goes on after it). */
export const STOPPED_AT_LINE = 1;

const PRECISION_CODES: Record<Precision, number> = { ns: 0, us: 1, ms: 2, s: 3 };

/** @internal A scanner holding one body. */
export class LineScan {
  readonly #x: LinesExports;
  #length = 0;
  #precision = 0;
  #now = 0;
  /** Per line record, LINE_INTS each. */
  lines!: Int32Array;
  stamps!: Float64Array;
  keyStarts!: Int32Array;
  keyEnds!: Int32Array;
  values!: Float64Array;
  /** 0: a number; 2: out of range. */
  statuses!: Uint8Array;
  /** After scan(): where it stopped, that line's number, and why (STOPPED_AT_LINE, or the end or full output). */
  stoppedAt = 0;
  stoppedLine = 0;
  stopReason = 0;

  constructor(x: LinesExports) {
    this.#x = x;
  }

  /**
   * Takes `body` and the parse's device tag keys, precision and default timestamp; false when the
   * tags do not fit the module's table (the JS parser then reads every line).
   */
  load(body: Uint8Array, deviceTags: readonly Uint8Array[], precision: Precision, now: number): boolean {
    const x = this.#x;
    const tagBytes = deviceTags.reduce((n, t) => n + 1 + t.length, 1);
    if (deviceTags.length > 255 || deviceTags.some((t) => t.length > 255) || tagBytes > (x.TAGS_BYTES.value as number)) return false;
    const at = x.reserve(body.length);
    const tagsAt = x.tagsPtr();
    const memory = new Uint8Array(x.memory.buffer);
    memory.set(body, at);
    memory[tagsAt] = deviceTags.length;
    let q = tagsAt + 1;
    for (const t of deviceTags) {
      memory[q] = t.length;
      memory.set(t, q + 1);
      q += 1 + t.length;
    }
    this.#length = body.length;
    this.#precision = PRECISION_CODES[precision];
    this.#now = now;
    if (this.lines?.buffer !== x.memory.buffer) this.#view();
    return true;
  }

  /** Scans from byte `from` (line number `lineNo`); returns the line records made. */
  scan(from: number, lineNo: number): number {
    const x = this.#x;
    const n = x.scan(this.#length, from, lineNo, this.#precision, this.#now);
    this.stoppedAt = x.stoppedAt();
    this.stoppedLine = x.stoppedLine();
    this.stopReason = x.stopReason();
    return n;
  }

  #view(): void {
    const x = this.#x;
    const buffer = x.memory.buffer;
    const lines = x.MAX_LINES.value as number;
    const fields = x.MAX_FIELDS.value as number;
    this.lines = new Int32Array(buffer, x.linesPtr(), lines * LINE_INTS);
    this.stamps = new Float64Array(buffer, x.stampsPtr(), lines);
    this.keyStarts = new Int32Array(buffer, x.keyStartsPtr(), fields);
    this.keyEnds = new Int32Array(buffer, x.keyEndsPtr(), fields);
    this.values = new Float64Array(buffer, x.valuesPtr(), fields);
    this.statuses = new Uint8Array(buffer, x.statusesPtr(), fields);
  }
}

let scanner: LineScan | undefined;

/** @internal This thread's scanner (compiled and instantiated on first use: a 5 KiB module). */
export function lineScan(): LineScan {
  if (!scanner) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(linesWasmBase64) as BufferSource), {});
    const x = instance.exports as unknown as LinesExports;
    if (x.LINE_INTS.value !== LINE_INTS) throw new Error(`BUG: the line scanner's records are ${x.LINE_INTS.value} int32s, this code reads ${LINE_INTS}`);
    scanner = new LineScan(x);
  }
  return scanner;
}

// The contract every compressor in the codec bench implements: price each block once (checking it
// decodes back bit for bit), then offer whole-dataset encode and decode passes for the timer.
import type { Block } from "../datasets/index.js";

/** What one block costs. Stream bits are null where a compressor has no such split. */
export interface BlockCost {
  readonly series: number;
  readonly points: number;
  /** Everything stored for the block, headers included. */
  readonly bytes: number;
  readonly timestampBits: number | null;
  readonly valueBits: number | null;
}

/** One compressor prepared on one dataset's blocks. */
export interface PreparedRun {
  readonly costs: BlockCost[];
  /** How many blocks each value codec took (iotpipe's own choice), or null. */
  readonly valueCodecs: Record<string, number> | null;
  /** Encodes every block once. */
  encodeAll(): void;
  /** Decodes every block once. */
  decodeAll(): void;
  /**
   * CPU seconds the pricing pass spent encoding, when encoding is too slow to repeat (brotli at its
   * default quality 11 runs near 1 MB/s): the timer then reuses this single pass.
   */
  readonly encodeSecondsOnce?: number;
}

export interface Contender {
  readonly name: string;
  /** Encodes and decodes every block once, throwing when a block does not come back bit for bit. */
  prepare(dataset: string, blocks: readonly Block[]): PreparedRun;
}

/** Whether two arrays hold the same float64 bit patterns (NaN payloads and −0 included). */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Bytes of a typed array's view (no copy). */
export function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// Unsigned LEB128 varints and zigzag as binary frames use them: writers that append into a buffer the
// caller owns (the plain ones are shared with the WAL: codec/varint.ts), and a cursor that reads with
// bounds checked and turns every malformed byte into a FrameError. JS numbers are exact to 2^53, so
// values past that take the BigInt path.
import { FrameError } from "./errors.js";

export { putVarint, varintSize } from "../../codec/varint.js";

/** @internal 2^53 − 1: the largest varint read as a number. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** @internal A u64 varint is at most 10 bytes. */
export const MAX_VARINT_BYTES = 10;

/** @internal Writes the varint of a u64 held in a BigInt; returns the new end. */
export function putVarintBig(buf: Uint8Array, at: number, v: bigint): number {
  while (v > 0x7fn) {
    buf[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[at++] = Number(v);
  return at;
}

/** @internal zigzag of an integer with |v| ≤ 2^52, so the result stays exact. */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** What a read is of, for its error message: `what`, numbered by `index` when one is given. */
function label(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what} ${index}`;
}

/**
 * @internal Reads a binary frame front to back; every read checks the bounds. A read names what it
 * reads as a fixed text and an optional number ("value of row", 17): the message is built only when
 * the read fails. Built for every read, it was two strings (about 70 bytes of garbage) per reading of
 * a gateway frame, whose device indexes and decimal values take two-byte varints.
 */
export class ByteCursor {
  readonly bytes: Uint8Array;
  readonly end: number;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.end = bytes.length;
    this.pos = pos;
  }

  /** Bytes left. */
  get left(): number {
    return this.end - this.pos;
  }

  /** Throws TRUNCATED unless `n` more bytes are there. */
  need(n: number, what: string, index?: number): void {
    if (n > this.end - this.pos) {
      throw new FrameError("TRUNCATED", `${label(what, index)} needs ${n} bytes at byte ${this.pos} but the frame ends at ${this.end}`, this.pos);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  /** A varint up to 2^53 − 1; larger ones are TOO_LARGE, malformed ones BAD_VARINT. */
  varint(what: string, index?: number): number {
    const start = this.pos;
    const { bytes, end } = this;
    let v = 0;
    let scale = 1;
    for (let p = start; p < end && p - start < 8; p++) {
      const b = bytes[p];
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (v > MAX_SAFE) break;
        this.pos = p + 1;
        return v;
      }
      scale *= 128;
    }
    // Longer than 8 bytes, past 2^53, or cut off: find out which for the message.
    const big = this.varintBig(what, index);
    if (big <= BigInt(MAX_SAFE)) return Number(big); // an overlong encoding of a small value
    throw new FrameError("TOO_LARGE", `${label(what, index)} at byte ${start} is ${big}, more than 2^53 − 1`, start);
  }

  /** A full u64 varint as a BigInt (the slow path for timestamps far apart). */
  varintBig(what: string, index?: number): bigint {
    const start = this.pos;
    const { bytes, end } = this;
    let v = 0n;
    for (let k = 0; k < MAX_VARINT_BYTES; k++) {
      const p = start + k;
      if (p >= end) {
        throw new FrameError("TRUNCATED", `${label(what, index)} at byte ${start} runs past the end of the frame (${end} bytes)`, start);
      }
      const b = bytes[p];
      if (k === MAX_VARINT_BYTES - 1 && b > 1) break;
      v |= BigInt(b & 0x7f) << BigInt(7 * k);
      if (b < 0x80) {
        this.pos = p + 1;
        return v;
      }
    }
    throw new FrameError("BAD_VARINT", `${label(what, index)} at byte ${start} is not a varint: more than 64 bits`, start);
  }

  /** A view of the next `n` bytes (no copy). */
  view(n: number, what: string, index?: number): Uint8Array {
    this.need(n, what, index);
    const at = this.pos;
    this.pos += n;
    return this.bytes.subarray(at, at + n);
  }
}

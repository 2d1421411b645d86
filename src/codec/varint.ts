// Unsigned LEB128 varints, written into buffers the caller owns: binary frames and WAL records both
// use them. JS numbers are exact to 2^53, so that is the largest value these take.

/** @internal Bytes the varint of `v` (0 ≤ v ≤ 2^53 − 1, integral) takes. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

/** @internal Writes the varint of `v` (0 ≤ v ≤ 2^53 − 1, integral) at `at`; returns the new end. */
export function putVarint(buf: Uint8Array, at: number, v: number): number {
  while (v > 0x7fffffff) {
    buf[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  while (v > 0x7f) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/**
 * @internal Reads a varint of at most 32 bits at `at` of `bytes` (up to `end`): the value and where
 * it ends, or undefined when it runs past `end` or past 32 bits.
 */
export function readVarint32(bytes: Uint8Array, at: number, end: number): { value: number; end: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let p = at; p < end && p - at < 5; p++) {
    const b = bytes[p];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value > 0xffffffff ? undefined : { value, end: p + 1 };
    scale *= 128;
  }
  return undefined;
}

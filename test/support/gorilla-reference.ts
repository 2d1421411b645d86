// A plain Gorilla XOR encoder (Pelkonen et al., VLDB 2015), written for clarity rather than speed, to
// check the WASM encoder bit for bit. Stream (MSB-first): the first value's 64 bits, then per value
//   '0'                                                   same bits as the previous value
//   '10' + the bits inside the previous window            XOR's leading and trailing zeros cover the window's
//   '11' + 5 bits leading zeros (capped at 31) + 6 bits meaningful length (64 written as 0) + those bits
// ending with zero bits up to the next byte boundary.

/** Appends bits most significant first; bytes fill from their high bit. */
class BitWriter {
  readonly bytes: number[] = [];
  #bits = 0;

  /** Writes bits `from` down to `to` (inclusive, 63 = the top bit) of the 64-bit word `hi:lo`. */
  writeWordBits(hi: number, lo: number, from: number, to: number): void {
    for (let i = from; i >= to; i--) this.writeBit(i >= 32 ? (hi >>> (i - 32)) & 1 : (lo >>> i) & 1);
  }

  /** Writes the low `count` bits of a small non-negative integer. */
  writeNumber(v: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.writeBit((v >>> i) & 1);
  }

  writeBit(bit: number): void {
    if (this.#bits % 8 === 0) this.bytes.push(0);
    if (bit) this.bytes[this.bytes.length - 1] |= 0x80 >>> this.#bits % 8;
    this.#bits++;
  }
}

function leadingZeros(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function trailingZeros(hi: number, lo: number): number {
  const ctz = (v: number) => 31 - Math.clz32(v & -v);
  return lo !== 0 ? ctz(lo) : 32 + ctz(hi);
}

/** The Gorilla XOR stream of `values` (at least one), as bytes. */
export function gorillaEncode(values: Float64Array): Uint8Array {
  // Each double as two 32-bit halves, low half first (typed arrays are little-endian on every Node target).
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const out = new BitWriter();
  let prevHi = words[1];
  let prevLo = words[0];
  out.writeWordBits(prevHi, prevLo, 63, 0);
  let lead = -1; // no window yet
  let trail = 0;
  for (let i = 1; i < values.length; i++) {
    const hi = words[2 * i + 1];
    const lo = words[2 * i];
    const xHi = (hi ^ prevHi) >>> 0;
    const xLo = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xHi === 0 && xLo === 0) {
      out.writeBit(0);
      continue;
    }
    const lz = Math.min(31, leadingZeros(xHi, xLo));
    const tz = trailingZeros(xHi, xLo);
    if (lead >= 0 && lz >= lead && tz >= trail) {
      out.writeNumber(0b10, 2);
      out.writeWordBits(xHi, xLo, 63 - lead, trail);
    } else {
      const length = 64 - lz - tz;
      out.writeNumber(0b11, 2);
      out.writeNumber(lz, 5);
      out.writeNumber(length === 64 ? 0 : length, 6);
      out.writeWordBits(xHi, xLo, 63 - lz, tz);
      lead = lz;
      trail = tz;
    }
  }
  return Uint8Array.from(out.bytes);
}

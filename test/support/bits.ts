// Bit-level comparison of typed arrays. `===` cannot tell −0 from 0 or one NaN payload from another, and
// a JS number may lose a signalling NaN's bits on the way, so tests compare the stored 64-bit words.

/** The 64-bit words behind a Float64Array or BigInt64Array, without copying. */
export function wordsOf(a: Float64Array | BigInt64Array): BigUint64Array {
  return new BigUint64Array(a.buffer, a.byteOffset, a.length);
}

/** A double's bit pattern. */
export function bitsOfDouble(x: number): bigint {
  // Stored straight into the typed array: a JS array literal would quieten a signalling NaN.
  const f = new Float64Array(1);
  f[0] = x;
  return wordsOf(f)[0];
}

/** The double with the given bit pattern, as a one-element array so no NaN payload is lost. */
export function doubleOfBits(bits: bigint): Float64Array {
  const f = new Float64Array(1);
  wordsOf(f)[0] = BigInt.asUintN(64, bits);
  return f;
}

function hex(w: bigint): string {
  return `0x${w.toString(16).padStart(16, "0")}`;
}

/**
 * Where two arrays' bit patterns first differ, as a message for a failing expectation; undefined when
 * they hold the same words. Use as `expect(bitDifference(actual, expected)).toBeUndefined()`.
 */
export function bitDifference(actual: Float64Array | BigInt64Array, expected: Float64Array | BigInt64Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  const a = wordsOf(actual);
  const e = wordsOf(expected);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) return `index ${i}: ${hex(a[i])}, expected ${hex(e[i])}`;
  }
  return undefined;
}

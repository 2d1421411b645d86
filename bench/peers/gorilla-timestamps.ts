// The bit cost of the classic Gorilla timestamp stream (Pelkonen et al., VLDB 2015, §4.1.1), priced
// in TypeScript because the codec has no Gorilla timestamp mode; values use the codec's XOR path.

/**
 * Bits of one delta-of-delta in the paper's buckets. Gorilla works in seconds; we feed it µs, so
 * values beyond the last bucket's 32 bits are charged 64 (a real decoder would also need an escape
 * code for them, which we do not charge: they are rare here and it only flatters the peer).
 */
export function gorillaDodBits(dod: number): number {
  if (dod === 0) return 1; // '0'
  if (dod >= -63 && dod <= 64) return 2 + 7; // '10'
  if (dod >= -255 && dod <= 256) return 3 + 9; // '110'
  if (dod >= -2047 && dod <= 2048) return 4 + 12; // '1110'
  if (dod >= -(2 ** 31) && dod < 2 ** 31) return 4 + 32; // '1111'
  return 4 + 64;
}

/**
 * Bits the Gorilla timestamp stream takes for one block of integral µs timestamps: the first
 * timestamp in 64 bits, the first delta in 14 (64 when it does not fit, as with any µs step
 * ≥ 16.4 ms), then every delta-of-delta. Exact in float64 while timestamps stay within ±2^53.
 */
export function gorillaTimestampBits(ts: Float64Array): number {
  const n = ts.length;
  if (n === 0) return 0;
  let bits = 64;
  if (n === 1) return bits;
  let delta = ts[1] - ts[0];
  bits += delta >= 0 && delta < 2 ** 14 ? 14 : 64;
  for (let i = 2; i < n; i++) {
    const d = ts[i] - ts[i - 1];
    bits += gorillaDodBits(d - delta);
    delta = d;
  }
  return bits;
}

// Gorilla XOR float compression (Pelkonen et al., VLDB 2015), for true binary floats that no decimal
// scale makes integral. Bit layout exactly as the paper, so other Gorilla decoders can check ours:
//   first value: 64 bits; then per value
//   '0'                               same as previous
//   '10' + meaningful bits            XOR fits the previous leading/trailing-zero window
//   '11' + 5 bits leading zeros + 6 bits length (64 → 0) + meaningful bits

import { writerStart, writeBits, writerEnd, readerStart, readBits, readBit } from "./bitstream";

/** Writes `n` ≥ 1 doubles (as bits) at `src` to `out`; returns the position after them. */
export function encodeXor(src: usize, n: i32, out: usize): usize {
  writerStart(out);
  let prev = load<u64>(src);
  writeBits(prev, 64);
  let lead: i32 = -1;
  let trail: i32 = 0;
  for (let i = 1; i < n; i++) {
    const cur = load<u64>(src + (<usize>i << 3));
    const x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      writeBits(0, 1);
      continue;
    }
    let lz = <i32>clz(x);
    if (lz > 31) lz = 31;
    const tz = <i32>ctz(x);
    if (lead >= 0 && lz >= lead && tz >= trail) {
      writeBits(2, 2);
      writeBits(x >> <u64>trail, 64 - lead - trail);
    } else {
      const sig = 64 - lz - tz;
      writeBits(3, 2);
      writeBits(<u64>lz, 5);
      writeBits(<u64>(sig & 63), 6);
      writeBits(x >> <u64>tz, sig);
      lead = lz;
      trail = tz;
    }
  }
  return writerEnd();
}

/**
 * Reads `n` doubles from the XOR stream at `p` (ending by `end`) into `dst`.
 * Returns the position after the stream's last byte, or 0 when it is malformed or too short.
 */
export function decodeXor(p: usize, end: usize, dst: usize, n: i32): usize {
  const endBit = (<usize>(end - p)) << 3;
  if (endBit < 64) return 0;
  readerStart(p);
  let prev = readBits(64);
  store<u64>(dst, prev);
  let lead: i32 = -1;
  let trail: i32 = 0;
  for (let i = 1; i < n; i++) {
    if (readBit >= endBit) return 0;
    if (readBits(1) != 0) {
      let sig: i32;
      if (readBits(1) == 0) {
        if (lead < 0) return 0;
        sig = 64 - lead - trail;
      } else {
        lead = <i32>readBits(5);
        sig = <i32>readBits(6);
        if (sig == 0) sig = 64;
        if (lead + sig > 64) return 0;
        trail = 64 - lead - sig;
      }
      if (readBit + sig > endBit) return 0;
      prev ^= readBits(sig) << <u64>trail;
    }
    store<u64>(dst + (<usize>i << 3), prev);
  }
  if (readBit > endBit) return 0;
  return p + ((readBit + 7) >> 3);
}

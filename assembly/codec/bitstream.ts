// MSB-first bit writer and reader over linear memory, as in the Gorilla paper's figures. The reader
// loads 8 bytes at a time; callers keep 9 bytes of padding after a stream and compare `readBit` with
// the stream's end once per value, so a hostile stream can never steer a read outside the buffer.

let wAcc: u64 = 0;
let wFill: i32 = 0;
let wPtr: usize = 0;

export function writerStart(p: usize): void {
  wAcc = 0;
  wFill = 0;
  wPtr = p;
}

/** Appends the low `n` bits of `v` (1 ≤ n ≤ 64, v < 2^n). */
// @ts-ignore: decorator
@inline
export function writeBits(v: u64, n: i32): void {
  const room = 64 - wFill;
  if (n < room) {
    wAcc |= v << <u64>(room - n);
    wFill += n;
  } else {
    const rest = n - room;
    wAcc |= v >> <u64>rest;
    store<u64>(wPtr, bswap(wAcc));
    wPtr += 8;
    wAcc = rest == 0 ? 0 : v << <u64>(64 - rest);
    wFill = rest;
  }
}

/** Flushes the partial word; returns the position after the last byte written. */
export function writerEnd(): usize {
  store<u64>(wPtr, bswap(wAcc));
  return wPtr + ((<usize>wFill + 7) >> 3);
}

let rBase: usize = 0;
export let readBit: usize = 0;

export function readerStart(p: usize): void {
  rBase = p;
  readBit = 0;
}

/** Reads `n` bits (1 ≤ n ≤ 64). */
// @ts-ignore: decorator
@inline
export function readBits(n: i32): u64 {
  const at = rBase + (readBit >> 3);
  const s = <u64>(readBit & 7);
  let w = bswap(load<u64>(at)) << s;
  if (s != 0) w |= <u64>load<u8>(at, 8) >> (8 - s);
  readBit += n;
  return n == 64 ? w : w >> <u64>(64 - n);
}

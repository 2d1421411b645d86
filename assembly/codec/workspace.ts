// Owns the module's linear-memory layout: fixed tables, then per-call regions sized for the largest
// block seen so far. Regions are laid out again (contents lost) only when a call needs more room, so
// callers size the workspace before they write into it.
import { growTo } from "../memory/grow";

/** Largest block, in points, the codec accepts. Bounds every allocation a header field can drive. */
export const MAX_POINTS: i32 = 1 << 20;

/** Bytes of zeroes kept after every byte region so 8-byte loads near a stream's end stay in memory. */
const PAD: usize = 64;

export let crcTable: usize = 0;
export let pow10: usize = 0;

export let tsBuf: usize = 0; // i64 timestamps (f64 on the boundary when the caller uses Float64Array)
export let valBuf: usize = 0; // f64 values
export let intBuf: usize = 0; // i64 scaled decimals / run values scratch
export let auxBuf: usize = 0; // i64 exception positions / run lengths
export let auxVal: usize = 0; // f64 exception values / run values
export let resBuf: usize = 0; // u64 residuals for bit packing
export let blockBuf: usize = 0; // encoded block (encode output, decode input)
export let tmpBuf: usize = 0; // candidate value stream while the encoder compares codecs
export let blockCap: usize = 0;
export let pointCap: i32 = 0;

let tablesEnd: usize = 0;

function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** Worst case bytes any candidate stream may take for n points (XOR and decimal with every point an exception). */
export function streamBound(n: i32): usize {
  return <usize>n * 28 + 4096;
}

function initTables(): void {
  crcTable = align16(__heap_base);
  pow10 = crcTable + 8 * 256 * 4;
  tablesEnd = align16(pow10 + 32 * 8);
  growTo(tablesEnd);
  // CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, slicing-by-8 tables.
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    store<u32>(crcTable + (<usize>i << 2), c);
  }
  for (let t: usize = 1; t < 8; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(crcTable + ((t - 1) << 10) + (i << 2));
      store<u32>(crcTable + (t << 10) + (i << 2), (prev >>> 8) ^ load<u32>(crcTable + ((prev & 0xff) << 2)));
    }
  }
  let p: f64 = 1;
  for (let e = 0; e < 32; e++) {
    store<f64>(pow10 + (<usize>e << 3), p);
    p *= 10;
  }
}

/**
 * Makes every region large enough for `points` points and a block of `blockBytes` bytes.
 * Returns 0 when nothing moved, 1 when the regions were laid out again (their contents are lost),
 * or -1 when the request is larger than the codec allows.
 */
export function ensure(points: i32, blockBytes: i32): i32 {
  if (tablesEnd == 0) initTables();
  if (points < 0 || points > MAX_POINTS || blockBytes < 0 || <usize>blockBytes > streamBound(MAX_POINTS) * 2) return -1;
  const need = max<usize>(streamBound(points) * 2, <usize>blockBytes);
  if (points <= pointCap && need <= blockCap) return 0;
  const cap = max<i32>(points, pointCap);
  const bytes = max<usize>(need, blockCap);
  const words = <usize>cap << 3;
  tsBuf = tablesEnd;
  valBuf = align16(tsBuf + words);
  intBuf = align16(valBuf + words);
  auxBuf = align16(intBuf + words);
  auxVal = align16(auxBuf + words);
  resBuf = align16(auxVal + words);
  blockBuf = align16(resBuf + words + PAD);
  tmpBuf = align16(blockBuf + bytes + PAD);
  growTo(tmpBuf + bytes + PAD);
  pointCap = cap;
  blockCap = bytes;
  return 1;
}

// Run-length coding for stuck and step-wise series: the values of the runs as an XOR stream, their
// lengths as an integer stream. Runs compare bit patterns, so NaN payloads and −0 keep their runs.
//
// varint runs · xor(run values) · ints(run lengths)

import { putVarint, getVarint, varintValue } from "./bytes";
import { encodeInts, decodeInts, MODE_AUTO } from "./ints";
import { encodeXor, decodeXor } from "./xor";
import { auxBuf, auxVal } from "./workspace";

/** Writes `n` values at `src` as runs at `out`; returns the end. */
export function encodeRuns(src: usize, n: i32, out: usize): usize {
  let runs = 0;
  let cur = load<u64>(src);
  let len: i64 = 1;
  for (let i = 1; i < n; i++) {
    const v = load<u64>(src + (<usize>i << 3));
    if (v == cur) {
      len++;
      continue;
    }
    store<u64>(auxVal + (<usize>runs << 3), cur);
    store<i64>(auxBuf + (<usize>runs << 3), len);
    runs++;
    cur = v;
    len = 1;
  }
  store<u64>(auxVal + (<usize>runs << 3), cur);
  store<i64>(auxBuf + (<usize>runs << 3), len);
  runs++;
  out = putVarint(out, <u64>runs);
  out = encodeXor(auxVal, runs, out);
  return encodeInts(auxBuf, runs, out, MODE_AUTO);
}

/** Reads a run stream of `n` values at `p` (ending by `end`) into `dst`; returns the end, or 0. */
export function decodeRuns(p: usize, end: usize, dst: usize, n: i32): usize {
  p = getVarint(p, end);
  if (p == 0 || varintValue == 0 || varintValue > <u64>n) return 0;
  const runs = <i32>varintValue;
  p = decodeXor(p, end, auxVal, runs);
  if (p == 0) return 0;
  p = decodeInts(p, end, auxBuf, runs);
  if (p == 0) return 0;
  let i: i64 = 0;
  for (let r = 0; r < runs; r++) {
    const len = load<i64>(auxBuf + (<usize>r << 3));
    if (len < 1 || len > <i64>n - i) return 0;
    const v = load<u64>(auxVal + (<usize>r << 3));
    for (let k: i64 = 0; k < len; k++) store<u64>(dst + (<usize>(i + k) << 3), v);
    i += len;
  }
  return i == <i64>n ? p : 0;
}

// Patched frame-of-reference bit packing of unsigned 64-bit residuals, in frames of 128.
// Each frame picks the width that minimises its bytes; values wider than that width keep their low bits
// in the packed slot and store the high bits aside ("patches"), so one outlier does not widen a frame.
//
// Frame: u8 (width | 0x80 if patched) · [u8 patch count] · ceil(len*width/8) bytes packed LSB-first ·
//        patch count × (u8 position, varint high bits)
//
// Encoding is planned then written: the planner counts residuals' bit lengths per frame and closes
// each frame, which records its width; pforWrite packs with those widths.

import { putVarint, getVarint, varintValue } from "./bytes";

export const FRAME: i32 = 128;

// @ts-ignore: decorator
@inline
export function bitLength(v: u64): i32 {
  return 64 - <i32>clz(v);
}

// @ts-ignore: decorator
@inline
function highBytes(bits: i32): i32 {
  return bits <= 7 ? 1 : (bits + 6) / 7;
}

const present = memory.data(72 * 4, 16);

/** Width choice for one frame from its bit-length histogram `hist` (65 u32): width | (bytes << 8). */
function bestWidth(hist: usize, len: i32): i32 {
  let kinds = 0;
  let top = 0;
  for (let k = 1; k <= 64; k++) {
    if (load<u32>(hist + (<usize>k << 2)) != 0) {
      store<i32>(present + (<usize>kinds << 2), k);
      kinds++;
      top = k;
    }
  }
  let best = top;
  let bestBytes = 1 + ((len * top + 7) >> 3);
  // Candidates: 0 and every bit length that occurs; between two of them a wider frame only costs more.
  for (let c = -1; c < kinds - 1; c++) {
    const w = c < 0 ? 0 : load<i32>(present + (<usize>c << 2));
    let bytes = 2 + ((len * w + 7) >> 3);
    for (let j = c + 1; j < kinds; j++) {
      const k = load<i32>(present + (<usize>j << 2));
      bytes += <i32>load<u32>(hist + (<usize>k << 2)) * (1 + highBytes(k - w));
    }
    if (bytes < bestBytes) {
      bestBytes = bytes;
      best = w;
    }
  }
  return best | (bestBytes << 8);
}

/** Counts one residual of bit length `bl` in a frame's histogram. */
// @ts-ignore: decorator
@inline
export function countLength(hist: usize, bl: i32): void {
  const h = hist + (<usize>bl << 2);
  store<u32>(h, load<u32>(h) + 1);
}

/**
 * Ends a frame of `len` residuals counted in `hist` (65 u32): records its width as frame `frame` of
 * `widths`, clears `hist`, and returns the frame's bytes.
 */
export function closeFrame(hist: usize, len: i32, widths: usize, frame: i32): i32 {
  if (len == 0) return 0;
  const r = bestWidth(hist, len);
  store<u8>(widths + <usize>frame, <u8>(r & 0xff));
  memory.fill(hist, 0, 65 * 4);
  return r >> 8;
}

function pack(src: usize, len: i32, w: i32, out: usize): usize {
  if (w == 0) return out;
  const mask: u64 = w == 64 ? <u64>-1 : (<u64>1 << <u64>w) - 1;
  let acc: u64 = 0;
  let fill: i32 = 0;
  let p = out;
  for (let i = 0; i < len; i++) {
    const v = load<u64>(src + (<usize>i << 3)) & mask;
    acc |= v << <u64>fill;
    const room = 64 - fill;
    if (w >= room) {
      store<u64>(p, acc);
      p += 8;
      acc = room == 64 ? 0 : v >> <u64>room;
      fill = w - room;
    } else {
      fill += w;
    }
  }
  store<u64>(p, acc);
  return out + ((<usize>len * w + 7) >> 3);
}

/** Writes `n` residuals at `src` as frames at `out` with the planned `widths`; returns the end. */
export function pforWrite(src: usize, n: i32, widths: usize, out: usize): usize {
  let p = out;
  for (let f = 0; f < n; f += FRAME) {
    const frame = src + (<usize>f << 3);
    const len = min(FRAME, n - f);
    const w = <i32>load<u8>(widths + <usize>(f / FRAME));
    let patches = 0;
    if (w < 64) {
      for (let i = 0; i < len; i++) patches += <i32>(load<u64>(frame + (<usize>i << 3)) >>> <u64>w != 0);
    }
    store<u8>(p++, <u8>(w | (patches > 0 ? 0x80 : 0)));
    if (patches > 0) store<u8>(p++, <u8>patches);
    p = pack(frame, len, w, p);
    if (patches > 0) {
      for (let i = 0; i < len; i++) {
        const high = load<u64>(frame + (<usize>i << 3)) >>> <u64>w;
        if (high != 0) {
          store<u8>(p++, <u8>i);
          p = putVarint(p, high);
        }
      }
    }
  }
  return p;
}

function unpack(src: usize, len: i32, w: i32, dst: usize): void {
  if (w == 0) {
    memory.fill(dst, 0, <usize>len << 3);
    return;
  }
  const mask: u64 = w == 64 ? <u64>-1 : (<u64>1 << <u64>w) - 1;
  let bit: usize = 0;
  if (w <= 56) {
    for (let i = 0; i < len; i++) {
      store<u64>(dst + (<usize>i << 3), (load<u64>(src + (bit >> 3)) >>> <u64>(bit & 7)) & mask);
      bit += w;
    }
    return;
  }
  for (let i = 0; i < len; i++) {
    const at = src + (bit >> 3);
    const s = <u64>(bit & 7);
    let v = load<u64>(at) >>> s;
    if (s != 0) v |= <u64>load<u8>(at, 8) << (64 - s);
    store<u64>(dst + (<usize>i << 3), v & mask);
    bit += w;
  }
}

/**
 * Reads `n` residuals from frames at `p` (which must end by `end`) into `dst`.
 * Returns the position after them, or 0 when the frames are malformed or run past `end`.
 */
export function pforDecode(p: usize, end: usize, dst: usize, n: i32): usize {
  for (let f = 0; f < n; f += FRAME) {
    const len = min(FRAME, n - f);
    const frame = dst + (<usize>f << 3);
    if (p >= end) return 0;
    const head = load<u8>(p++);
    const w = <i32>(head & 0x7f);
    if (w > 64) return 0;
    let patches = 0;
    if (head & 0x80) {
      if (p >= end || w == 64) return 0;
      patches = <i32>load<u8>(p++);
      if (patches == 0 || patches > len) return 0;
    }
    const packed = (<usize>len * w + 7) >> 3;
    if (p + packed > end) return 0;
    unpack(p, len, w, frame);
    p += packed;
    for (let k = 0; k < patches; k++) {
      if (p >= end) return 0;
      const at = <i32>load<u8>(p++);
      if (at >= len) return 0;
      p = getVarint(p, end);
      if (p == 0) return 0;
      const high = varintValue;
      if (w > 0 && high >>> <u64>(64 - w) != 0) return 0;
      const slot = frame + (<usize>at << 3);
      store<u64>(slot, load<u64>(slot) | (high << <u64>w));
    }
  }
  return p;
}

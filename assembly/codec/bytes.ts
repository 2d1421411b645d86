// Byte-level helpers shared by every stream: LEB128 varints and zigzag. A reader returns the new
// position, or 0 when the stream would end first, so one comparison checks bounds.

/** Zigzag-maps a signed integer so small magnitudes of either sign get small codes. */
// @ts-ignore: decorator
@inline
export function zigzag(v: i64): u64 {
  return <u64>((v << 1) ^ (v >> 63));
}

// @ts-ignore: decorator
@inline
export function unzigzag(u: u64): i64 {
  return <i64>(u >>> 1) ^ -<i64>(u & 1);
}

/** Writes `v` as a LEB128 varint at `p`; returns the position after it. */
export function putVarint(p: usize, v: u64): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>(v | 0x80));
    v >>>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

/** Bytes `putVarint` takes for `v`. */
// @ts-ignore: decorator
@inline
export function varintSize(v: u64): i32 {
  return v == 0 ? 1 : (70 - <i32>clz(v)) / 7;
}

/** Value of the last varint read by `getVarint`. */
export let varintValue: u64 = 0;

/** Reads a varint at `p` that must end before `end`; returns the position after it, or 0. */
export function getVarint(p: usize, end: usize): usize {
  let v: u64 = 0;
  let shift: u64 = 0;
  while (p < end) {
    const b = load<u8>(p++);
    if (shift == 63 && b > 1) return 0;
    v |= <u64>(b & 0x7f) << shift;
    if (b < 0x80) {
      varintValue = v;
      return p;
    }
    shift += 7;
    if (shift > 63) return 0;
  }
  return 0;
}

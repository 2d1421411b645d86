// CRC-32C over a byte range. CRC rather than a hash because it detects every single-bit flip and every
// burst up to 32 bits, which is exactly the corruption storage and links produce.
import { crcTable } from "./workspace";

/** CRC-32C of `len` bytes at `ptr` (slicing-by-8). */
export function crc32c(ptr: usize, len: usize): u32 {
  let c: u32 = 0xffffffff;
  const t = crcTable;
  const end = ptr + len;
  while (ptr + 8 <= end) {
    const lo = load<u32>(ptr) ^ c;
    const hi = load<u32>(ptr, 4);
    c =
      load<u32>(t + (7 << 10) + ((lo & 0xff) << 2)) ^
      load<u32>(t + (6 << 10) + (((lo >>> 8) & 0xff) << 2)) ^
      load<u32>(t + (5 << 10) + (((lo >>> 16) & 0xff) << 2)) ^
      load<u32>(t + (4 << 10) + ((lo >>> 24) << 2)) ^
      load<u32>(t + (3 << 10) + ((hi & 0xff) << 2)) ^
      load<u32>(t + (2 << 10) + (((hi >>> 8) & 0xff) << 2)) ^
      load<u32>(t + (1 << 10) + (((hi >>> 16) & 0xff) << 2)) ^
      load<u32>(t + ((hi >>> 24) << 2));
    ptr += 8;
  }
  while (ptr < end) {
    c = (c >>> 8) ^ load<u32>(t + (((c ^ load<u8>(ptr)) & 0xff) << 2));
    ptr++;
  }
  return ~c;
}

// CRC-32C (Castagnoli, reflected 0x82F63B78, initial and final XOR 0xFFFFFFFF), byte at a time: slow and
// obviously right, so tests can reseal a block they tampered with and reach the decoder's stream parsers.

const TABLE = Uint32Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});

/** CRC-32C of bytes [start, end) of `bytes`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (c >>> 8) ^ TABLE[(c ^ bytes[i]) & 0xff];
  return (c ^ 0xffffffff) >>> 0;
}

// A scanner's input region: the bytes of one body or frame, written by the host after the module's own
// tables, with 16 bytes to spare past its end so a 16-byte load at any byte of the input stays in memory.
// Each module that imports this has a region of its own.
import { growTo } from "../memory/grow";

/** Where the input starts (0 until the first reserveInput()). */
export let input: usize = 0;
let capacity: usize = 0;

/** `p` rounded up to a multiple of 16. */
export function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** Makes room for `length` bytes of input after the module's tables, which end at `tablesEnd`; returns where to write them. */
export function reserveInput(tablesEnd: usize, length: i32): usize {
  if (input === 0) input = align16(tablesEnd);
  if (capacity === 0 || <usize>length > capacity) {
    capacity = max(capacity, <usize>length);
    growTo(input + capacity + 16);
  }
  return input;
}

/** The input's byte at p. */
@inline export function at(p: i32): u32 {
  return <u32>load<u8>(input + <usize>p);
}

// Linear-memory growth shared by every module: modules lay out their own regions and only ask for room.

/** Grows memory so that bytes below `end` exist; traps when the host refuses more pages. */
export function growTo(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
}

// Each reading's state slot, found once per (device, channel) pair a batch actually holds. A batch's
// dictionaries list devices and channels separately: a gateway of mixed device types names dozens of
// channels, and slots for every device × channel would be series that do not exist.
import type { ReadingColumns } from "../archive/batch.js";

const UNSEEN = -2;

/** Per reading, `slotOf(device, channel)`, asked once per pair present (it may answer −1: no slot). */
export function readingSlots(batch: ReadingColumns, slotOf: (device: string, channel: string) => number): Int32Array {
  const n = batch.values.length;
  const width = batch.channels.length;
  const pairs = batch.devices.length * width;
  const dense = pairs <= 1 << 20 ? new Int32Array(pairs).fill(UNSEEN) : undefined;
  const sparse = dense ? undefined : new Map<number, number>();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = batch.device[i] * width + batch.channel[i];
    let slot = dense ? dense[key] : (sparse!.get(key) ?? UNSEEN);
    if (slot === UNSEEN) {
      slot = slotOf(batch.devices[batch.device[i]], batch.channels[batch.channel[i]]);
      if (dense) dense[key] = slot;
      else sparse!.set(key, slot);
    }
    out[i] = slot;
  }
  return out;
}

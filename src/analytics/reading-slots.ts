// Each reading's state slot, from a table of (device, channel) pairs. A batch names its devices and
// channels in dictionaries (new strings in every batch): the table finds each device's row once per
// batch and a pair's slot by a channel number in that row. A gateway batch has about one reading per
// series, so a lookup per pair was a string hash per reading. The row is kept on the thread's series
// table (archive/series-key.ts), which the archive resolved the same batch in a moment before, so a
// device costs no map lookup here either (a cold one per device was 60–130 ns a reading in a worker).
// New pairs are asked of the owner once; a gateway of mixed device types names dozens of channels, and
// slots for every device × channel would be series that do not exist.
import type { ReadingColumns } from "../archive/batch.js";
import { memoOf, seriesTable } from "../archive/series-key.js";

/** Slots of (device, channel) pairs, made by `slotOf` when a pair is first seen (it may answer −1: no slot). */
export class ReadingSlots {
  /** Per device: slot by channel number (a hole: not seen yet). */
  readonly #rows = new Map<string, number[]>();
  readonly #channels = new Map<string, number>();
  readonly #slotOf: (device: string, channel: string) => number;

  constructor(slotOf: (device: string, channel: string) => number) {
    this.#slotOf = slotOf;
  }

  /** Per reading of `batch`, its pair's slot. */
  of(batch: ReadingColumns): Int32Array {
    const n = batch.values.length;
    const channelNumbers = batch.channels.map((c) => this.#channelNumber(c));
    const devices = seriesTable(batch.devices, batch.channels).rows;
    const rows: (number[] | undefined)[] = new Array(batch.devices.length);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const d = batch.device[i];
      const row = rows[d] ?? (rows[d] = memoOf(devices[d], this, this.#row));
      const c = channelNumbers[batch.channel[i]];
      let slot = row[c];
      if (slot === undefined) row[c] = slot = this.#slotOf(batch.devices[d], batch.channels[batch.channel[i]]);
      out[i] = slot;
    }
    return out;
  }

  /** The device's row (an arrow function: memoOf calls it unbound). */
  readonly #row = (device: string): number[] => {
    let row = this.#rows.get(device);
    if (row === undefined) this.#rows.set(device, (row = []));
    return row;
  };

  #channelNumber(channel: string): number {
    let c = this.#channels.get(channel);
    if (c === undefined) this.#channels.set(channel, (c = this.#channels.size));
    return c;
  }
}

// A series is (device, channel). Its key joins the two with a NUL (neither may contain one); its hash
// picks the partition bucket. The hash is part of the on-disk layout: it never changes. On the ingest
// path a thread names its series once: a batch's dictionaries are resolved to device rows and channel
// numbers (seriesTable), one map lookup per dictionary entry, and a series is then an array access
// into its device's row (a lookup per series in a map per device cost two or three cache misses each).
import { ArchiveError } from "./errors.js";

/** @internal */
export function seriesKey(device: string, channel: string): string {
  return `${device}\u0000${channel}`;
}

/**
 * @internal One series' name as the ingest path keeps it: made once per series and process, so a
 * batch's runs reach their key and their head without a lookup in a large map each.
 */
export class SeriesName {
  readonly key: string;
  /** The head this series has in the archive that last used it (see ArchiveState.headOf). */
  head: unknown;
  headOwner: unknown;
  /** The series' number in the WAL file that last numbered it (see WalDictionary.idOf). */
  walId = 0;
  walOwner: unknown;

  constructor(key: string) {
    this.key = key;
  }
}

/**
 * @internal One device's series names on this thread, by the thread's channel numbers, and what other
 * per-series tables of the thread keep for the device (see `memo`).
 */
export class DeviceSeries {
  readonly device: string;
  /** By channel number (a hole: no series of that channel yet). */
  readonly names: (SeriesName | undefined)[] = [];
  /**
   * Other per-series tables' rows for this device (the analytics' slots), as owner, row, owner, row…:
   * found here by the table that owns them without a map lookup of the device. See `memoOf`.
   */
  readonly memo: unknown[] = [];
  /** The device after this one in the last dictionary that named both: a batch's devices come in a steady order, so this is a guess at the next lookup. */
  next: DeviceSeries | undefined;

  constructor(device: string) {
    this.device = device;
  }
}

/** Owners whose rows a DeviceSeries keeps at most (a thread has one analytics table and one per window definition). */
const MEMO_OWNERS = 4;

/**
 * @internal `owner`'s row for `row`'s device: the one kept on it, else `make(device)`'s, kept from now on
 * (in place of the least recently kept owner's when MEMO_OWNERS are kept). `make` must give the same
 * row every time for the same owner and device: what is kept here can be lost any time.
 */
export function memoOf<T>(row: DeviceSeries, owner: object, make: (device: string) => T): T {
  const memo = row.memo;
  for (let k = 0; k < memo.length; k += 2) if (memo[k] === owner) return memo[k + 1] as T;
  const value = make(row.device);
  if (memo.length >= 2 * MEMO_OWNERS) memo.splice(0, 2);
  memo.push(owner, value);
  return value;
}

/** A batch's dictionaries resolved: each device entry's row, each channel entry's number on this thread. */
export interface SeriesTable {
  rows: DeviceSeries[];
  channels: Int32Array;
}

/** Devices named so far, and channel names numbered so far (the same numbers for every device). */
let devices = new Map<string, DeviceSeries>();
let channelNumbers = new Map<string, number>();
let internedNames = 0;
/** Past this many series and devices (or channel names) the table starts over (names stay correct, only the reuse is lost). */
const MAX_INTERNED = 1 << 21;
/**
 * Tables made for dictionaries still in use, by their device array: the analytics resolve the batch the
 * archive stored a moment before (with other partitions' appends in between).
 */
const made = new WeakMap<readonly string[], SeriesTable & { channelNames: readonly string[] }>();

/** Starts the tables over once they hold MAX_INTERNED. */
function startOverWhenFull(): void {
  if (internedNames + devices.size >= MAX_INTERNED || channelNumbers.size >= MAX_INTERNED) {
    devices = new Map();
    channelNumbers = new Map();
    internedNames = 0;
  }
}

function rowOf(device: string): DeviceSeries {
  let row = devices.get(device);
  if (row === undefined) devices.set(device, (row = new DeviceSeries(device)));
  return row;
}

function channelNumber(channel: string): number {
  let c = channelNumbers.get(channel);
  if (c === undefined) channelNumbers.set(channel, (c = channelNumbers.size));
  return c;
}

/**
 * @internal The rows of a batch's devices and the numbers of its channels: one map lookup per
 * dictionary entry, after which a series' name is `nameIn(row, number, …)`, an array access. The same
 * dictionaries (the same arrays: a batch's dictionaries are not changed once made) get the same table
 * again without a lookup.
 */
export function seriesTable(deviceNames: readonly string[], channelNames: readonly string[]): SeriesTable {
  const known = made.get(deviceNames);
  if (known && known.channelNames === channelNames && known.rows.length === deviceNames.length && known.channels.length === channelNames.length) return known;
  startOverWhenFull();
  const rows: DeviceSeries[] = new Array(deviceNames.length);
  let previous: DeviceSeries | undefined;
  for (let i = 0; i < deviceNames.length; i++) {
    const device = deviceNames[i];
    // A gateway names its devices in the same order frame after frame: the guess is one string
    // comparison, where a lookup in the map of every device is two or three cache misses.
    let row = previous?.next;
    if (row === undefined || row.device !== device) {
      row = rowOf(device);
      if (previous) previous.next = row;
    }
    rows[i] = previous = row;
  }
  const channels = new Int32Array(channelNames.length);
  for (let i = 0; i < channelNames.length; i++) channels[i] = channelNumber(channelNames[i]);
  const table = { rows, channels, channelNames };
  made.set(deviceNames, table);
  return table;
}

/**
 * @internal The name of `row`'s device's series of channel `channel` (number `c` on this thread), the
 * same object every time. Names are checked once, when first seen: non-empty and free of NUL.
 */
export function nameIn(row: DeviceSeries, c: number, channel: string): SeriesName {
  const name = row.names[c];
  if (name !== undefined) return name;
  const { device } = row;
  if (device.includes("\u0000") || channel.includes("\u0000") || device === "" || channel === "") {
    throw new ArchiveError("BAD_BATCH", `device and channel names must be non-empty and free of NUL: ${JSON.stringify([device, channel])}`);
  }
  internedNames++;
  return (row.names[c] = new SeriesName(seriesKey(device, channel)));
}

/** @internal The series' name, the same object every time (for one series at a time: batches use seriesTable). */
export function seriesName(device: string, channel: string): SeriesName {
  startOverWhenFull();
  return nameIn(rowOf(device), channelNumber(channel), channel);
}

/** @internal */
export function splitSeriesKey(key: string): { device: string; channel: string } {
  const at = key.indexOf("\u0000");
  return { device: key.slice(0, at), channel: key.slice(at + 1) };
}

/** FNV-1a (32-bit) over the key's UTF-16 code units: the series' partition bucket is this mod buckets. */
export function seriesHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** @internal */
export function bucketOf(key: string, buckets: number): number {
  return seriesHash(key) % buckets;
}

// A series is (device, channel). Its key joins the two with a NUL (neither may contain one); its hash
// picks the partition bucket. The hash is part of the on-disk layout: it never changes.
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

/** Names handed out so far, by device then channel. */
const interned = new Map<string, Map<string, SeriesName>>();
let internedNames = 0;
let lastDevice: string | undefined;
let lastChannels: Map<string, SeriesName> | undefined;
/** Past this many series the table starts over (names stay correct, only the reuse is lost). */
const MAX_INTERNED = 1 << 21;

/**
 * @internal The series' name, the same object every time (a batch's names are new strings each time).
 * Names are checked once, when first seen: non-empty and free of NUL (the key's separator).
 */
export function seriesName(device: string, channel: string): SeriesName {
  // A batch's runs come device by device: one lookup of the device for all its channels.
  let channels = device === lastDevice ? lastChannels : interned.get(device);
  if (!channels) {
    if (internedNames >= MAX_INTERNED) {
      interned.clear();
      internedNames = 0;
    }
    interned.set(device, (channels = new Map()));
  }
  lastDevice = device;
  lastChannels = channels;
  let name = channels.get(channel);
  if (name === undefined) {
    if (device.includes("\u0000") || channel.includes("\u0000") || device === "" || channel === "") {
      throw new ArchiveError("BAD_BATCH", `device and channel names must be non-empty and free of NUL: ${JSON.stringify([device, channel])}`);
    }
    channels.set(channel, (name = new SeriesName(seriesKey(device, channel))));
    internedNames++;
  }
  return name;
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

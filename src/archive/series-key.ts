// A series is (device, channel). Its key joins the two with a NUL (neither may contain one); its hash
// picks the partition bucket. The hash is part of the on-disk layout: it never changes.

/** @internal */
export function seriesKey(device: string, channel: string): string {
  return `${device}\u0000${channel}`;
}

/** Keys handed out so far, by device then channel. */
const interned = new Map<string, Map<string, string>>();
let internedKeys = 0;
/** Past this many series the table starts over (keys stay correct, only the reuse is lost). */
const MAX_INTERNED = 1 << 21;

/**
 * @internal The series key as the same string every time: maps keyed by series (heads, encoded WAL
 * keys) then hash each key once, not once per batch. A batch's names are new strings each time.
 */
export function internedSeriesKey(device: string, channel: string): string {
  let channels = interned.get(device);
  if (!channels) {
    if (internedKeys >= MAX_INTERNED) {
      interned.clear();
      internedKeys = 0;
    }
    interned.set(device, (channels = new Map()));
  }
  let key = channels.get(channel);
  if (key === undefined) {
    channels.set(channel, (key = seriesKey(device, channel)));
    internedKeys++;
  }
  return key;
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

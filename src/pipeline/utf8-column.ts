// An Arrow Utf8 column (a batch's device or channel dictionary) to and from strings, in one go. Arrow's
// own builder and toArray() encode and decode string by string, a TextEncoder or TextDecoder call each:
// for a gateway batch's thousands of device names that was a tenth of a scale-out ingest server's time
// (writing batches to Redis) and a sixth of a scale-out worker's reading time.
import { makeData, Utf8, type Data } from "apache-arrow";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/**
 * The column's strings: when its bytes are all ASCII (names usually are), one decode of them all, cut
 * at the offsets; otherwise one UTF-8 decode per string, as Arrow does (bad sequences become U+FFFD).
 * Undefined for a column with nulls (the caller's slower path names them).
 */
export function utf8Strings(data: Data<Utf8>): string[] | undefined {
  if (data.nullCount > 0) return undefined;
  // A sliced column's offsets are sliced with it (Arrow slices them, not the bytes).
  return stringsAt(data.valueOffsets, data.values, data.length);
}

/** Whether `n` + 1 offsets run in order from 0 or more to at most `byteLength` (what stringsAt needs). */
export function offsetsInOrder(offsets: Int32Array, n: number, byteLength: number): boolean {
  if (offsets.length < n + 1 || offsets[0] < 0 || offsets[n] > byteLength) return false;
  for (let i = 0; i < n; i++) if (offsets[i] > offsets[i + 1]) return false;
  return true;
}

/** The `n` strings of UTF-8 `bytes` cut at `offsets` (n + 1 of them, in order, within the bytes: see offsetsInOrder). */
export function stringsAt(offsets: Int32Array, bytes: Uint8Array, n: number): string[] {
  const first = offsets[0];
  const last = offsets[n];
  const words: string[] = new Array(n);
  let ascii = true;
  for (let i = first; i < last; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const text = latin1.decode(bytes.subarray(first, last));
    for (let i = 0; i < n; i++) words[i] = text.slice(offsets[i] - first, offsets[i + 1] - first);
  } else {
    for (let i = 0; i < n; i++) words[i] = utf8.decode(bytes.subarray(offsets[i], offsets[i + 1]));
  }
  return words;
}

/** A Utf8 column of `words` (well-formed UTF-16): when they are all ASCII, one encode of them all. */
export function utf8Data(words: readonly string[]): Data<Utf8> {
  const { offsets, data } = utf8Buffers(words);
  return makeData({ type: new Utf8(), length: words.length, nullCount: 0, valueOffsets: offsets, data });
}

/** The offsets (words.length + 1) and UTF-8 bytes of `words` (well-formed UTF-16). */
export function utf8Buffers(words: readonly string[]): { offsets: Int32Array; data: Uint8Array } {
  const n = words.length;
  const offsets = new Int32Array(n + 1);
  const joined = words.join("");
  let data = encoder.encode(joined);
  // As many bytes as UTF-16 units: every unit was ASCII, so a word's bytes are its characters.
  if (data.length === joined.length) {
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + words[i].length;
  } else {
    const encoded = words.map((w) => encoder.encode(w));
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
    data = new Uint8Array(offsets[n]);
    encoded.forEach((bytes, i) => data.set(bytes, offsets[i]));
  }
  return { offsets, data };
}

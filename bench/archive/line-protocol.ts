// Influx line protocol for the peers: one line per reading, `<channel>,device=<id> value=<v> <ms>`,
// so VictoriaMetrics stores the series `<channel>_value{device="<id>"}`. Timestamps are whole ms
// (VictoriaMetrics' resolution). Written byte by byte: String() on 86 M values would take minutes.
import type { Chunk } from "./dataset.js";

const DIGITS = 20;
const scratch = new Uint8Array(DIGITS);

/** Writes the decimal digits of a non-negative safe integer at `at`; returns the new end. */
function writeInteger(out: Buffer, at: number, n: number): number {
  let k = DIGITS;
  do {
    scratch[--k] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  out.set(scratch.subarray(k), at);
  return at + DIGITS - k;
}

/**
 * Writes `v`: values with at most 2 decimals (the gauges) digit by digit, anything else as
 * JavaScript's shortest round-trip decimal. Both parse back to the same double.
 */
function writeValue(out: Buffer, at: number, v: number): number {
  const cents = Math.round(v * 100);
  if (cents / 100 === v && Math.abs(cents) < 2 ** 52 && !Object.is(v, -0)) {
    let a = Math.abs(cents);
    if (cents < 0) out[at++] = 45; // "-"
    at = writeInteger(out, at, Math.floor(a / 100));
    a %= 100;
    if (a !== 0) {
      out[at++] = 46; // "."
      out[at++] = 48 + Math.floor(a / 10);
      if (a % 10 !== 0) out[at++] = 48 + (a % 10);
    }
    return at;
  }
  return at + out.write(Object.is(v, -0) ? "-0" : String(v), at, "latin1");
}

/** The chunk's readings as line protocol (send with precision=ms). */
export function lineProtocol(chunk: Chunk, devices: readonly string[], channels: readonly string[]): Buffer<ArrayBuffer> {
  const prefixes = new Map<number, Buffer>();
  let longest = 0;
  const prefix = (d: number, c: number): Buffer => {
    const id = d * channels.length + c;
    let p = prefixes.get(id);
    if (p === undefined) {
      prefixes.set(id, (p = Buffer.from(`${channels[c]},device=${devices[d]} value=`, "latin1")));
      longest = Math.max(longest, p.length);
    }
    return p;
  };
  const n = chunk.values.length;
  let out = Buffer.allocUnsafe(n * 48);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const p = prefix(chunk.device[i], chunk.channel[i]);
    if (at + longest + 64 > out.length) {
      const grown = Buffer.allocUnsafe(out.length * 2);
      out.copy(grown, 0, 0, at);
      out = grown;
    }
    p.copy(out, at);
    at = writeValue(out, at + p.length, chunk.values[i]);
    out[at++] = 32; // " "
    at = writeInteger(out, at, Math.floor(chunk.timestamps[i] / 1000));
    out[at++] = 10; // "\n"
  }
  return out.subarray(0, at);
}

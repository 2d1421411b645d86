// The payload of a WAL record: one appended batch, as one codec block per series, so the log costs
// about what the archive does per point (a few bits) instead of 16 bytes.
//
// u32 runs · per run: u16 key bytes · key (UTF-8) · u32 block bytes · block
import type { Codec } from "../codec/index.js";
import type { SeriesRun } from "./batch.js";
import { ArchiveError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** @internal */
export function encodeWalRecord(codec: Codec, runs: readonly SeriesRun[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 4;
  for (const run of runs) {
    const key = encoder.encode(run.key);
    const block = codec.encode(run.timestamps, run.values);
    parts.push(key, block);
    size += 2 + key.length + 4 + block.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, runs.length, true);
  let at = 4;
  for (let i = 0; i < parts.length; i += 2) {
    const [key, block] = [parts[i], parts[i + 1]];
    view.setUint16(at, key.length, true);
    out.set(key, at + 2);
    at += 2 + key.length;
    view.setUint32(at, block.length, true);
    out.set(block, at + 4);
    at += 4 + block.length;
  }
  return out;
}

/** @internal */
export function decodeWalRecord(codec: Codec, payload: Uint8Array, file: string): SeriesRun[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (why: string) => new ArchiveError("CORRUPT_WAL", `WAL record in ${file}: ${why}`, file);
  if (payload.length < 4) throw bad("shorter than its run count");
  const count = view.getUint32(0, true);
  const runs: SeriesRun[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > payload.length) throw bad(`run ${i} starts past the end`);
    const keyLength = view.getUint16(at, true);
    if (at + 2 + keyLength + 4 > payload.length) throw bad(`run ${i} key runs past the end`);
    const key = decoder.decode(payload.subarray(at + 2, at + 2 + keyLength));
    at += 2 + keyLength;
    const blockLength = view.getUint32(at, true);
    if (at + 4 + blockLength > payload.length) throw bad(`run ${i} block runs past the end`);
    const { timestamps, values } = codec.decode(payload.subarray(at + 4, at + 4 + blockLength));
    runs.push({ key, timestamps, values });
    at += 4 + blockLength;
  }
  return runs;
}

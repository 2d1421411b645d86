// Fixtures for archive and query tests: real temporary directories (removed afterwards), readings
// turned into append() columns, and a few facts about segment files the tests poke at.
import { mkdtemp, rm, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReadingColumns } from "../../src/index.js";

/** One reading as a test writes it: µs timestamp, any double. */
export interface Reading {
  device: string;
  channel: string;
  t: number;
  v: number;
}

/** 2024-03-10T00:00:00Z in µs: a multiple of a day, an hour and 64 µs. */
export const T0 = Date.UTC(2024, 2, 10) * 1000;
export const SECOND = 1_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Temporary directories created by one test file; `removeAll` in afterEach/afterAll. */
export class TempDirs {
  readonly #dirs: string[] = [];

  async make(prefix = "iotpipe-archive-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    for (const dir of this.#dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** Readings as the columns append() takes, dictionaries in first-seen order. */
export function columnsOf(readings: readonly Reading[]): ReadingColumns {
  const devices: string[] = [];
  const channels: string[] = [];
  const deviceIds = new Map<string, number>();
  const channelIds = new Map<string, number>();
  const device = new Uint32Array(readings.length);
  const channel = new Uint32Array(readings.length);
  const timestamps = new Float64Array(readings.length);
  const values = new Float64Array(readings.length);
  readings.forEach((r, i) => {
    let d = deviceIds.get(r.device);
    if (d === undefined) deviceIds.set(r.device, (d = devices.push(r.device) - 1));
    let c = channelIds.get(r.channel);
    if (c === undefined) channelIds.set(r.channel, (c = channels.push(r.channel) - 1));
    device[i] = d;
    channel[i] = c;
    timestamps[i] = r.t;
    values[i] = r.v;
  });
  return { devices, channels, device, channel, timestamps, values };
}

/** A regular series: `count` readings every `every` µs from `start`, values from `value(i)`. */
export function regular(device: string, channel: string, start: number, every: number, count: number, value: (i: number) => number): Reading[] {
  return Array.from({ length: count }, (_, i) => ({ device, channel, t: start + i * every, v: value(i) }));
}

/** The manifest's live segments (file paths relative to the archive). */
export async function segmentsOf(dir: string): Promise<{ file: string; window: string; bucket: number; minTime: number; maxTime: number }[]> {
  return JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")).segments;
}

/** WAL file names of an archive, oldest first. */
export async function walFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, "wal"))).filter((n) => n.endsWith(".wal")).sort();
}

/** Byte range of a segment's index, read from its footer (f64 index offset · u32 index bytes · …). */
export function segmentIndexRange(bytes: Uint8Array): { start: number; length: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footer = bytes.length - 24;
  return { start: view.getFloat64(footer, true), length: view.getUint32(footer + 8, true) };
}

/** xorshift32: a deterministic stream for expanding a fast-check seed into shuffles and cut points. */
export function seeded(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

// The archive crash test's workload. Batch b's readings are a pure function of (seed, b), and a
// reading's value a pure function of (seed, series, timestamp), so the test knows everything a killed
// writer may have stored, and a duplicate or a resent batch always carries the value already stored
// (overlaps resolved last-write-wins cannot change what is read back).
import type { ArchiveOptions } from "../../src/archive/archive.js";
import type { ReadingColumns } from "../../src/archive/batch.js";

/** Small settings so a few hundred milliseconds of appends cross several checkpoints and partitions. */
export const CRASH_ARCHIVE_OPTIONS: ArchiveOptions = {
  partitionWindow: "hour",
  buckets: 4,
  blockWindow: 60_000_000,
  blockPoints: 256,
  lateness: 300_000_000,
  checkpointBytes: 16 << 10,
};

export const DEVICES = ["press-01", "press-02", "oven-01", "pump-01"];
export const CHANNELS = ["temp", "pressure"];
/** 2024-03-01 23:55 UTC: the run crosses hour and day partition boundaries early. */
export const T0 = Date.UTC(2024, 2, 1, 23, 55) * 1000;
/** µs between a series' readings: a series' reading k is at T0 + k·SLOT (300 per block window). */
export const SLOT = 200_000;
/** Each batch brings this many new slots per series (2 s of data). */
export const SLOTS_PER_BATCH = 10;
/** A deferred slot of batch b arrives in batch b + SOON (inside the lateness) … */
export const SOON = 3;
/** … or in batch b + LATER (320 s behind: later than the 300 s lateness, so it lands in a late block). */
export const LATER = 160;
/** Repeats reach this many batches back (400 s). */
export const REPEAT_REACH = 200;

/** One reading of a batch, as the parent tracks it. */
export interface CrashReading {
  device: number;
  channel: number;
  slot: number;
}

/** 32-bit integer hash of a few small non-negative integers (murmur3 finaliser over a running mix). */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A seeded generator of uint32s (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The value of a series at a slot: a multiple of 1/8, so sums over it are exact. */
export function valueAt(seed: number, device: number, channel: number, slot: number): number {
  return (mix(seed, 7, device, channel, slot) % 400_000) / 8 - 20_000;
}

export function timeOf(slot: number): number {
  return T0 + slot * SLOT;
}

/** 0: the slot arrives with its own batch; SOON or LATER: that many batches after it. */
function deferral(seed: number, device: number, channel: number, slot: number): number {
  const h = mix(seed, 3, device, channel, slot) % 20;
  return h === 0 ? SOON : h === 1 ? LATER : 0;
}

/**
 * The readings of batch `b`: per series its own slots (minus deferred ones), the slots deferred to it,
 * two repeats of earlier slots (possibly not yet stored, possibly far behind), and one reading
 * repeated within the batch; all series interleaved in a shuffled order.
 */
export function batchReadings(seed: number, b: number): CrashReading[] {
  const out: CrashReading[] = [];
  const random = rng(mix(seed, 11, b));
  for (let device = 0; device < DEVICES.length; device++) {
    for (let channel = 0; channel < CHANNELS.length; channel++) {
      const own = b * SLOTS_PER_BATCH;
      for (let slot = own; slot < own + SLOTS_PER_BATCH; slot++) {
        if (deferral(seed, device, channel, slot) === 0) out.push({ device, channel, slot });
      }
      for (const delay of [SOON, LATER]) {
        const from = (b - delay) * SLOTS_PER_BATCH;
        if (from < 0) continue;
        for (let slot = from; slot < from + SLOTS_PER_BATCH; slot++) {
          if (deferral(seed, device, channel, slot) === delay) out.push({ device, channel, slot });
        }
      }
      const back = Math.max(0, b - REPEAT_REACH) * SLOTS_PER_BATCH;
      const span = own + SLOTS_PER_BATCH - back;
      for (let i = 0; i < 2; i++) out.push({ device, channel, slot: back + (random() % span) });
    }
  }
  out.push({ ...out[random() % out.length] });
  for (let i = out.length - 1; i > 0; i--) {
    const j = random() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Batch `b` as append() takes it. */
export function batchColumns(seed: number, b: number): ReadingColumns {
  const readings = batchReadings(seed, b);
  const n = readings.length;
  const columns: ReadingColumns = {
    devices: DEVICES,
    channels: CHANNELS,
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: new Float64Array(n),
    values: new Float64Array(n),
  };
  readings.forEach((r, i) => {
    columns.device[i] = r.device;
    columns.channel[i] = r.channel;
    columns.timestamps[i] = timeOf(r.slot);
    columns.values[i] = valueAt(seed, r.device, r.channel, r.slot);
  });
  return columns;
}

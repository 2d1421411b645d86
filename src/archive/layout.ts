// Where a point lives: its partition is (series bucket, time window). Fixed when the archive is
// created and recorded in the manifest, because file names depend on it.

/** How long a partition's time window is (UTC). */
export type PartitionWindow = "hour" | "day" | "month";

/** The archive's fixed shape. */
export interface Layout {
  partitionWindow: PartitionWindow;
  /** Series-hash buckets per window. */
  buckets: number;
  /** Blocks never span a multiple of this (µs); divides every partition window. */
  blockWindow: number;
  /** Most points per block. */
  blockPoints: number;
}

/** A partition's time window: [start, end) in µs and its name in file paths. */
export interface Window {
  start: number;
  end: number;
  name: string;
}

const HOUR = 3_600_000_000;

/** The window of `kind` holding time `t` (µs). */
export function windowOf(t: number, kind: PartitionWindow): Window {
  const ms = Math.floor(t / 1000);
  const d = new Date(ms);
  if (kind === "month") {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    return { start: start * 1000, end: end * 1000, name: new Date(start).toISOString().slice(0, 7) };
  }
  const span = kind === "day" ? 24 * HOUR : HOUR;
  const start = Math.floor(t / span) * span;
  const iso = new Date(start / 1000).toISOString();
  return { start, end: start + span, name: kind === "day" ? iso.slice(0, 10) : iso.slice(0, 13) };
}

/** Checks a layout: a block window must divide every partition window (it divides an hour). */
export function checkLayout(layout: Layout): string | undefined {
  if (!Number.isInteger(layout.buckets) || layout.buckets < 1 || layout.buckets > 65536) return `buckets must be 1..65536, got ${layout.buckets}`;
  if (!Number.isInteger(layout.blockPoints) || layout.blockPoints < 16 || layout.blockPoints > 1 << 20) return `blockPoints must be 16..2^20, got ${layout.blockPoints}`;
  if (!(layout.blockWindow > 0) || HOUR % layout.blockWindow !== 0) return `blockWindow must divide one hour (µs), got ${layout.blockWindow}`;
  if (!["hour", "day", "month"].includes(layout.partitionWindow)) return `partitionWindow must be hour, day or month`;
  return undefined;
}

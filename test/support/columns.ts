// Reading columns for tests, written as rows: [device index, channel index, timestamp, value, flags?].
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";

export type Row = [device: number, channel: number, ts: number, value: number, flags?: number];

export function columnsOf(devices: string[], channels: string[], rows: Row[]): FlaggedColumns {
  return {
    devices,
    channels,
    device: Uint32Array.from(rows, (r) => r[0]),
    channel: Uint32Array.from(rows, (r) => r[1]),
    timestamps: Float64Array.from(rows, (r) => r[2]),
    values: Float64Array.from(rows, (r) => r[3]),
    flags: Uint8Array.from(rows, (r) => r[4] ?? 0),
  };
}

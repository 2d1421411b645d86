// Shared by the frame decoder tests: readings as plain rows (easy to compare), columns built from them,
// the limits most tests use, and a check that a call fails with a FrameError of a given code.
import { expect } from "vitest";
import type { ReadingColumns } from "../../../src/archive/batch.js";
import type { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { FrameError, type FrameErrorCode } from "../../../src/ingest/frames/index.js";

export const LIMITS = { maxReadings: 100_000, maxNameLength: 128 };

export interface Row {
  device: string;
  channel: string;
  ts: number;
  value: number;
}

/** Rows as dictionary-encoded columns (dictionaries in order of first use). */
export function columnsOf(rows: readonly Row[], extraDevices: readonly string[] = []): ReadingColumns {
  const devices = [...extraDevices];
  const channels: string[] = [];
  const id = (list: string[], name: string) => {
    const at = list.indexOf(name);
    return at >= 0 ? at : list.push(name) - 1;
  };
  return {
    devices,
    channels,
    device: Uint32Array.from(rows, (r) => id(devices, r.device)),
    channel: Uint32Array.from(rows, (r) => id(channels, r.channel)),
    timestamps: Float64Array.from(rows, (r) => r.ts),
    values: Float64Array.from(rows, (r) => r.value),
  };
}

/** Everything a builder holds, as rows (values as numbers: compare bits separately where it matters). */
export function rowsOf(builder: BatchBuilder): Row[] {
  const c = builder.take();
  return Array.from(c.values, (value, i) => ({ device: c.devices[c.device[i]], channel: c.channels[c.channel[i]], ts: c.timestamps[i], value }));
}

/** Runs `call`, expects a FrameError with `code`, returns it. */
export function frameErrorOf(call: () => unknown, code?: FrameErrorCode): FrameError {
  let caught: unknown;
  try {
    call();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a FrameError").toBeInstanceOf(FrameError);
  if (code !== undefined) expect((caught as FrameError).code, (caught as Error).message).toBe(code);
  return caught as FrameError;
}

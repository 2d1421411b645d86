// Window results and the late side output as readings of derived series, written back to the archive:
//   per series   <device> / <channel>:<window>:<aggregate>
//   per device   <device> / <window>:<aggregate>
//   per zone     zone:<zone> / <channel>:<window>:<aggregate>
//   late         <device> / <channel>:<window>:late   (the reading as it came, at its own timestamp)
// A window's readings are stamped with its start; a window fired again overwrites them (the archive keeps
// the last write of a timestamp).
import type { ReadingColumns } from "../../archive/batch.js";
import type { LateReading, WindowResult } from "./stream-windows.js";

/** The derived series' channel of one aggregate of a window result. */
export function derivedChannel(r: Pick<WindowResult, "window" | "channel">, aggregate: string): string {
  return r.channel === undefined ? `${r.window}:${aggregate}` : `${r.channel}:${r.window}:${aggregate}`;
}

/** The readings that store `results` and `late` (of windows in `stored`), by device; undefined when none. */
export function derivedColumns(results: readonly WindowResult[], late: readonly LateReading[], stored: ReadonlySet<string>): ReadingColumns | undefined {
  const devices: string[] = [];
  const deviceIds = new Map<string, number>();
  const channels: string[] = [];
  const channelIds = new Map<string, number>();
  const device: number[] = [];
  const channel: number[] = [];
  const timestamps: number[] = [];
  const values: number[] = [];
  const add = (d: string, c: string, ts: number, v: number) => {
    let di = deviceIds.get(d);
    if (di === undefined) deviceIds.set(d, (di = devices.push(d) - 1));
    let ci = channelIds.get(c);
    if (ci === undefined) channelIds.set(c, (ci = channels.push(c) - 1));
    device.push(di);
    channel.push(ci);
    timestamps.push(ts);
    values.push(v);
  };
  for (const r of results) {
    if (!stored.has(r.window)) continue;
    for (const [a, v] of Object.entries(r.aggregates)) if (Number.isFinite(v)) add(r.device, derivedChannel(r, a), r.start, v);
  }
  for (const l of late) if (stored.has(l.window)) add(l.device, `${l.channel}:${l.window}:late`, l.ts, l.value);
  if (values.length === 0) return undefined;
  return { devices, channels, device: Uint32Array.from(device), channel: Uint32Array.from(channel), timestamps: Float64Array.from(timestamps), values: Float64Array.from(values) };
}

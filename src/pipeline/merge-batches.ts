// Joins several batches into one (dictionaries merged, rows kept in order), so a consumer hands a
// worker one batch per partition per read instead of one per frame: fewer messages between threads
// and fewer archive appends, whatever size the devices' frames are.
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { concatBlocks } from "./edge-blocks.js";

export function mergeBatches(batches: readonly FlaggedColumns[]): FlaggedColumns {
  if (batches.length === 1) return batches[0];
  const n = batches.reduce((sum, b) => sum + b.timestamps.length, 0);
  const devices: string[] = [];
  const channels: string[] = [];
  const deviceIds = new Map<string, number>();
  const channelIds = new Map<string, number>();
  const intern = (names: string[], ids: Map<string, number>, name: string) => {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = names.push(name) - 1));
    return id;
  };
  const out: FlaggedColumns = {
    devices,
    channels,
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: new Float64Array(n),
    values: new Float64Array(n),
    flags: new Uint8Array(n),
  };
  let at = 0;
  const starts: number[] = [];
  for (const b of batches) {
    starts.push(at);
    const deviceMap = b.devices.map((d) => intern(devices, deviceIds, d));
    const channelMap = b.channels.map((c) => intern(channels, channelIds, c));
    const rows = b.timestamps.length;
    for (let i = 0; i < rows; i++) {
      out.device[at + i] = deviceMap[b.device[i]];
      out.channel[at + i] = channelMap[b.channel[i]];
    }
    out.timestamps.set(b.timestamps, at);
    out.values.set(b.values, at);
    out.flags.set(b.flags, at);
    at += rows;
  }
  if (batches.some((b) => b.blocks)) out.blocks = concatBlocks(batches.map((b) => b.blocks), starts);
  return out;
}

/**
 * How many of `queued`, from the first, one merge takes: as many as fit in `maxReadings` readings, and
 * the first whatever its size.
 */
export function mergeCount(queued: readonly { batch: FlaggedColumns }[], maxReadings: number): number {
  let take = 1;
  let readings = queued[0].batch.timestamps.length;
  while (take < queued.length && readings + queued[take].batch.timestamps.length <= maxReadings) readings += queued[take++].batch.timestamps.length;
  return take;
}

// Triage: each reading's partition (hash of its device, so one series always lands on one partition
// and one writer) and lane (critical readings first, then the device's tier). Splits a batch into one
// batch per (partition, lane), each with the device dictionary of its partition.
import { seriesHash } from "../archive/series-key.js";
import { FLAG_CRITICAL, type FlaggedColumns } from "../ingest/batch-builder.js";
import type { DeviceRegistry } from "../ingest/devices.js";
import { LANES, type StreamId } from "./bus.js";
import { keptBlocks } from "./edge-blocks.js";

const CRITICAL = LANES.indexOf("critical");

/** The partition of a device: FNV-1a of its id modulo the partition count (part of the layout). */
export function partitionOf(device: string, partitions: number): number {
  return seriesHash(device) % partitions;
}

/**
 * Splits `cols` into batches by (partition, lane). Each partition's batches get a device dictionary of
 * their own devices only: a gateway frame names a thousand devices, and every partition would
 * otherwise carry (and its worker re-read) all of them. The channel dictionary is shared.
 */
export function route(cols: FlaggedColumns, partitions: number, region: string, registry: DeviceRegistry): { stream: StreamId; batch: FlaggedColumns }[] {
  const n = cols.timestamps.length;
  const devicePartition = cols.devices.map((d) => partitionOf(d, partitions));
  const deviceLane = cols.devices.map((d) => LANES.indexOf(registry.get(d)?.tier ?? "standard"));
  // Stream index per (partition, lane), numbered in order of first use.
  const streamIndex = new Map<number, number>();
  const target = new Uint32Array(n);
  const streams: StreamId[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = cols.device[i];
    const lane = cols.flags[i] & FLAG_CRITICAL ? CRITICAL : deviceLane[d];
    const key = devicePartition[d] * LANES.length + lane;
    let id = streamIndex.get(key);
    if (id === undefined) {
      streamIndex.set(key, (id = streams.push({ region, partition: devicePartition[d], lane: LANES[lane] }) - 1));
      counts.push(0);
    }
    target[i] = id;
    counts[id]++;
  }
  if (streams.length === 1) return [{ stream: streams[0], batch: cols }];
  // Per partition, its devices in frame order; a device's index in its partition's dictionary.
  const partitionDevices = new Map<number, string[]>();
  const localDevice = new Uint32Array(cols.devices.length);
  cols.devices.forEach((d, i) => {
    const p = devicePartition[i];
    let names = partitionDevices.get(p);
    if (!names) partitionDevices.set(p, (names = []));
    localDevice[i] = names.push(d) - 1;
  });
  const out = streams.map((stream, id) => ({
    stream,
    batch: {
      devices: partitionDevices.get(stream.partition)!,
      channels: cols.channels,
      device: new Uint32Array(counts[id]),
      channel: new Uint32Array(counts[id]),
      timestamps: new Float64Array(counts[id]),
      values: new Float64Array(counts[id]),
      flags: new Uint8Array(counts[id]),
    } as FlaggedColumns,
  }));
  const fill = new Uint32Array(streams.length);
  // Where each row lands in its part: only needed to carry edge blocks along.
  const position = cols.blocks ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const id = target[i];
    const b = out[id].batch;
    const j = fill[id]++;
    if (position) position[i] = j;
    b.device[j] = localDevice[cols.device[i]];
    b.channel[j] = cols.channel[i];
    b.timestamps[j] = cols.timestamps[i];
    b.values[j] = cols.values[i];
    b.flags[j] = cols.flags[i];
  }
  if (position) out.forEach((o, id) => (o.batch.blocks = keptBlocks(cols.blocks, position, target, id)));
  return out;
}

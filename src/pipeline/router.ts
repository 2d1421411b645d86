// Triage: each reading's partition (hash of its device, so one series always lands on one partition
// and one writer) and lane (critical readings first, then the device's tier). Splits a batch into one
// batch per (partition, lane), each with the device dictionary of its partition.
import { seriesHash } from "../archive/series-key.js";
import { FLAG_CRITICAL, type FlaggedColumns } from "../ingest/batch-builder.js";
import type { DeviceRegistry } from "../ingest/devices.js";
import { LANES, type StreamId } from "./bus.js";
import { keptBlocks } from "./edge-blocks.js";

const CRITICAL = LANES.indexOf("critical");
/** Per (partition, lane): its stream's number in the batch being routed, −1 for none (a table, not a map lookup per reading). */
let streamIndex = new Int32Array(0);

/** The partition of a device: FNV-1a of its id modulo the partition count (part of the layout). */
export function partitionOf(device: string, partitions: number): number {
  return seriesHash(device) % partitions;
}

/** Devices' partition × lanes + tier lane, per registry and partition count: a hash and a registry lookup per device once, not per frame. */
const places = new WeakMap<DeviceRegistry, Map<number, Map<string, number>>>();
/** Past this many devices a table starts over. */
const MAX_PLACES = 1 << 20;

/**
 * A device's place: its partition × the number of lanes + its tier's lane. What route() keeps per
 * device; a caller that numbers its devices can keep it by number instead (see route's `places`).
 */
export function placeOf(device: string, partitions: number, registry: DeviceRegistry): number {
  return partitionOf(device, partitions) * LANES.length + LANES.indexOf(registry.get(device)?.tier ?? "standard");
}

function placesOf(registry: DeviceRegistry, partitions: number): Map<string, number> {
  let byCount = places.get(registry);
  if (!byCount) places.set(registry, (byCount = new Map()));
  let known = byCount.get(partitions);
  if (!known) byCount.set(partitions, (known = new Map()));
  return known;
}

/**
 * Splits `cols` into batches by (partition, lane). Each partition's batches get a device dictionary of
 * their own devices only: a gateway frame names a thousand devices, and every partition would
 * otherwise carry (and its worker re-read) all of them. The channel dictionary is shared. `places`,
 * when given, holds each dictionary entry's placeOf(): routing then looks no device up by name.
 */
export function route(cols: FlaggedColumns, partitions: number, region: string, registry: DeviceRegistry, places?: Uint32Array): { stream: StreamId; batch: FlaggedColumns }[] {
  const n = cols.timestamps.length;
  const known = places ? undefined : placesOf(registry, partitions);
  const devicePartition = new Uint32Array(cols.devices.length);
  const deviceLane = new Uint8Array(cols.devices.length);
  for (let i = 0; i < cols.devices.length; i++) {
    let place = places?.[i] ?? known!.get(cols.devices[i]);
    if (place === undefined) {
      const d = cols.devices[i];
      if (known!.size >= MAX_PLACES) known!.clear();
      place = placeOf(d, partitions, registry);
      known!.set(d, place);
    }
    devicePartition[i] = Math.floor(place / LANES.length);
    deviceLane[i] = place % LANES.length;
  }
  // Streams numbered in order of first use; streamIndex is all −1 again when route returns.
  if (streamIndex.length < partitions * LANES.length) streamIndex = new Int32Array(partitions * LANES.length).fill(-1);
  const keys: number[] = [];
  const target = new Uint32Array(n);
  const streams: StreamId[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = cols.device[i];
    const lane = cols.flags[i] & FLAG_CRITICAL ? CRITICAL : deviceLane[d];
    const key = devicePartition[d] * LANES.length + lane;
    let id = streamIndex[key];
    if (id < 0) {
      id = streamIndex[key] = streams.push({ region, partition: devicePartition[d], lane: LANES[lane] }) - 1;
      keys.push(key);
      counts.push(0);
    }
    target[i] = id;
    counts[id]++;
  }
  for (const key of keys) streamIndex[key] = -1;
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

// Owns the window module's linear memory: the batch region (columns in, a flag per reading out), the
// per-series window states (a header and a ring of panes), the per-device watermarks, and last the
// results region, which grows while a call emits windows. Growing keeps every state: states are moved,
// never dropped. One instance serves one window definition (its pane length fixes the state size).
import { growTo } from "../memory/grow";
import { PANE_BYTES, paneBytes } from "./pane";

export let seriesBuf: usize = 0; // i32 per reading: the series' state slot
export let deviceBuf: usize = 0; // i32 per reading: the device's watermark slot
export let tsBuf: usize = 0; // f64 per reading: event time, µs
export let valueBuf: usize = 0; // f64 per reading
export let flagsBuf: usize = 0; // u8 per reading out: LATE, UPDATE, SKIPPED
export let dirtyBuf: usize = 0; // i32 per reading: series with windows to fire again at the batch's end
export let seriesStates: usize = 0;
export let deviceStates: usize = 0;
export let resultsBuf: usize = 0;
export let pointCap: i32 = 0;
export let seriesCap: i32 = 0;
export let deviceCap: i32 = 0;

/** Largest batch, in readings, and the most series or devices one instance holds. */
export const MAX_BATCH: i32 = 1 << 22;
export const MAX_SERIES: i32 = 1 << 22;

export const HEADER_BYTES: usize = 48;
export const DEVICE_BYTES: usize = 32;
/** One emitted window: slot, start, end, flags, then a pane's fields from COUNT on. */
export const RECORD_BYTES: usize = 256;

// Series header fields.
export const FIRED = 0; // f64: end of the last window fired (−∞: none)
export const REFIRE = 8; // f64: end of the earliest fired window that took a late reading since (+∞: none)
export const NEXT_DUE = 16; // f64: end of the next window with readings, fired once the watermark passes it (+∞: none)
export const DEVICE = 24; // i32: the series' device slot
export const DIRTY = 28; // u32: on the dirty list of this batch
export const LAST_PANE = 32; // f64: the pane index the series' last reading fell in (NaN: none)
export const LAST_PANE_AT = 40; // u32: that pane's byte offset in the series' state

// Device fields.
export const MAX_TS = 0; // f64: newest event time seen
export const LAST_ARRIVAL = 8; // f64: arrival time of that batch
export const WATERMARK = 16; // f64

let ring: i32 = 1;
/** Bytes of one series' state: the header and its ring of panes. */
export let seriesBytes: usize = HEADER_BYTES + PANE_BYTES;

/** Panes per series; fixes the state size, so it is set once, before the first ensure. */
export function setRing(panes: i32): void {
  ring = panes;
  seriesBytes = HEADER_BYTES + <usize>ring * paneBytes;
}

export function ringSize(): i32 {
  return ring;
}

function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

function resetSeries(at: usize, count: i32): void {
  const size = seriesBytes;
  memory.fill(at, 0, <usize>count * size);
  for (let i = 0; i < count; i++) {
    const s = at + <usize>i * size;
    store<f64>(s + FIRED, -Infinity);
    store<f64>(s + REFIRE, Infinity);
    store<f64>(s + NEXT_DUE, Infinity);
    store<f64>(s + LAST_PANE, NaN);
    for (let j = 0; j < ring; j++) store<f64>(s + HEADER_BYTES + <usize>j * paneBytes, -Infinity);
  }
}

function resetDevices(at: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const d = at + <usize>i * DEVICE_BYTES;
    store<f64>(d + MAX_TS, -Infinity);
    store<f64>(d + LAST_ARRIVAL, 0);
    store<f64>(d + WATERMARK, -Infinity);
  }
}

/**
 * Makes room for batches of `points` readings over `series` series of `devices` devices. Returns 0 when
 * nothing moved, 1 when regions moved (views over memory must be made again), −1 beyond the limits.
 */
export function ensure(points: i32, series: i32, devices: i32): i32 {
  if (points < 0 || points > MAX_BATCH || series < 0 || series > MAX_SERIES || devices < 0 || devices > MAX_SERIES) return -1;
  if (points <= pointCap && series <= seriesCap && devices <= deviceCap && seriesStates != 0) return 0;
  const cap = <usize>max(points, pointCap);
  const slots = max(series, seriesCap);
  const devs = max(devices, deviceCap);
  const seriesAt = align16(__heap_base);
  const devicesAt = align16(seriesAt + cap * 4);
  const ts = align16(devicesAt + cap * 4);
  const values = ts + cap * 8;
  const flags = values + cap * 8;
  const dirty = align16(flags + cap);
  const states = align16(dirty + cap * 4);
  const devStates = states + <usize>slots * seriesBytes;
  const results = align16(devStates + <usize>devs * DEVICE_BYTES);
  growTo(results + RECORD_BYTES * 64);
  // Devices first: their new place is past everything old, and the series' new place may cover their old one.
  if (deviceStates != 0) memory.copy(devStates, deviceStates, <usize>deviceCap * DEVICE_BYTES);
  resetDevices(devStates + <usize>deviceCap * DEVICE_BYTES, devs - deviceCap);
  if (seriesStates != 0) memory.copy(states, seriesStates, <usize>seriesCap * seriesBytes);
  resetSeries(states + <usize>seriesCap * seriesBytes, slots - seriesCap);
  seriesBuf = seriesAt;
  deviceBuf = devicesAt;
  tsBuf = ts;
  valueBuf = values;
  flagsBuf = flags;
  dirtyBuf = dirty;
  seriesStates = states;
  deviceStates = devStates;
  resultsBuf = results;
  pointCap = <i32>cap;
  seriesCap = slots;
  deviceCap = devs;
  return 1;
}

/** Puts every series and device back to "never seen a reading". */
export function forgetAll(): void {
  resetSeries(seriesStates, seriesCap);
  resetDevices(deviceStates, deviceCap);
}

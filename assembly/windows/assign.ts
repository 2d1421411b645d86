// Event-time windows, a batch at a time. Each device has a watermark: its newest event time minus the
// out-of-orderness bound, moved on by arrival time once the device has been idle (so a silent device's
// windows still close). A window fires when the watermark passes its end; a reading for a fired window
// that is still within the allowed lateness updates it and fires it again (at the batch's end); an
// older one goes to the late side output (flag LATE) and is counted by the host, never folded in.
// Tumbling and sliding windows share panes of `slide` µs: a window is `panes` consecutive panes, so a
// reading is added once, whatever the overlap. Session windows keep one open session per series.
import { growTo } from "../memory/grow";
import { paneBytes, setSketching, ID, COUNT, LAST_TS, FIRST_TS, clearPane, addReading, mergeFilling, standardize } from "./pane";
import * as W from "./workspace";

export const LATE: u8 = 1;
export const UPDATE: u8 = 2;
export const SKIPPED: u8 = 4;
/** Record flags: a window fired again after a late reading. */
export const REFIRED: f64 = 1;

const SESSION: i32 = 1;

let kind: i32 = 0;
let paneUs: f64 = 60e6;
/** 1 / paneUs and 1 / ring: indices come from a multiplication, corrected by one where it rounds wrong. */
let perPane: f64 = 1 / 60e6;
let perRing: f64 = 1;
let panes: i32 = 1;
let boundUs: f64 = 0;
let latenessUs: f64 = 0;
let idleUs: f64 = 30e6;
let gapUs: f64 = 0;

let emitted: i32 = 0;
let dirtyCount: i32 = 0;

/**
 * Sets the window: `sessionGapUs` > 0 makes session windows with that gap, else windows of `windowPanes`
 * panes of `paneLengthUs`, sliding by one pane; `sketch` (0 or 1) keeps the percentile sketch. Call once,
 * before the first ensure: it fixes the state size.
 */
export function configureWindow(paneLengthUs: f64, windowPanes: i32, sessionGapUs: f64, outOfOrdernessUs: f64, allowedLatenessUs: f64, idleTimeoutUs: f64, sketch: i32): i32 {
  if (W.seriesStates != 0) return -1;
  if (!(outOfOrdernessUs >= 0 && allowedLatenessUs >= 0 && idleTimeoutUs >= 0)) return -1;
  setSketching(sketch != 0);
  boundUs = outOfOrdernessUs;
  latenessUs = allowedLatenessUs;
  idleUs = idleTimeoutUs;
  if (sessionGapUs > 0) {
    kind = SESSION;
    gapUs = sessionGapUs;
    W.setRing(1);
    return 0;
  }
  if (!(paneLengthUs >= 1) || windowPanes < 1 || windowPanes > 1024) return -1;
  kind = 0;
  paneUs = paneLengthUs;
  panes = windowPanes;
  // Panes a series must hold: its windows' span, and what the bound and the lateness keep open.
  const ring = <f64>windowPanes + Math.ceil((outOfOrdernessUs + allowedLatenessUs) / paneLengthUs) + 1;
  if (ring > 4096) return -1;
  W.setRing(<i32>ring);
  perPane = 1 / paneLengthUs;
  perRing = 1 / ring;
  return 0;
}

/** The index of the pane holding event time `ts`: the q with q · paneUs ≤ ts < (q + 1) · paneUs. */
// @ts-ignore: decorator
@inline
function paneOf(ts: f64): f64 {
  let q = Math.floor(ts * perPane);
  if (q * paneUs > ts) q -= 1;
  else if ((q + 1) * paneUs <= ts) q += 1;
  return q;
}

// @ts-ignore: decorator
@inline
function pane(s: usize, id: f64): usize {
  const ring = <f64>W.ringSize();
  let slot = id - Math.floor(id * perRing) * ring;
  if (slot < 0) slot += ring;
  else if (slot >= ring) slot -= ring;
  return s + W.HEADER_BYTES + <usize>(<i32>slot) * paneBytes;
}

/** A new record in the results region, zeroed, growing memory when needed. */
function record(slot: i32, start: f64, end: f64, flags: f64): usize {
  const r = W.resultsBuf + <usize>emitted * W.RECORD_BYTES;
  growTo(r + W.RECORD_BYTES);
  memory.fill(r, 0, W.RECORD_BYTES);
  store<f64>(r, <f64>slot);
  store<f64>(r + 8, start);
  store<f64>(r + 16, end);
  store<f64>(r + 24, flags);
  emitted++;
  return r;
}

/** Emits the window ending at pane boundary `k` (panes k − panes … k − 1) if it holds readings. */
function emitWindow(slot: i32, s: usize, k: f64, flags: f64): void {
  const r = record(slot, (k - <f64>panes) * paneUs, k * paneUs, flags);
  const acc = r + 32 - COUNT; // a pane view over the record: its COUNT lands at byte 32
  for (let j = k - <f64>panes; j < k; j++) {
    const p = pane(s, j);
    if (load<f64>(p + ID) == j) mergeFilling(acc, p);
  }
  if (load<f64>(acc + COUNT) == 0) emitted--;
}

/** The end of the first unfired window (after `after`) that holds readings, from the panes held; +∞ for none. */
function nextDue(s: usize, after: f64): f64 {
  let best = Infinity;
  const firstK = after / paneUs + 1;
  for (let i = 0; i < W.ringSize(); i++) {
    const p = s + W.HEADER_BYTES + <usize>i * paneBytes;
    const id = load<f64>(p + ID);
    if (id == -Infinity || load<f64>(p + COUNT) == 0) continue;
    // Windows containing pane `id` end at (id + 1) … (id + panes) panes.
    const k = max(id + 1, firstK);
    if (k <= id + <f64>panes && k < best) best = k;
  }
  return best == Infinity ? Infinity : best * paneUs;
}

/** Fires what the watermark `wm` has passed: late updates first, then new windows in order. */
function fireSeries(slot: i32, s: usize, wm: f64): void {
  if (kind == SESSION) {
    const p = s + W.HEADER_BYTES;
    const due = load<f64>(s + W.NEXT_DUE);
    if (due <= wm) closeSession(slot, s, p);
    return;
  }
  const fired = load<f64>(s + W.FIRED);
  const refire = load<f64>(s + W.REFIRE);
  if (refire <= fired) {
    for (let k = refire / paneUs; k <= fired / paneUs; k++) {
      if (k * paneUs + latenessUs > wm) emitWindow(slot, s, k, REFIRED);
    }
  }
  store<f64>(s + W.REFIRE, Infinity);
  let due = load<f64>(s + W.NEXT_DUE);
  while (due <= wm) {
    emitWindow(slot, s, due / paneUs, 0);
    store<f64>(s + W.FIRED, due);
    due = nextDue(s, due);
  }
  store<f64>(s + W.NEXT_DUE, due);
}

function closeSession(slot: i32, s: usize, p: usize): void {
  const end = load<f64>(p + LAST_TS) + gapUs;
  const r = record(slot, load<f64>(p + FIRST_TS), end, 0);
  standardize(r + 32 - COUNT, p);
  store<f64>(s + W.FIRED, end);
  store<f64>(s + W.NEXT_DUE, Infinity);
  clearPane(p, load<f64>(p + ID) + 1);
}

function markDirty(slot: i32, s: usize): void {
  if (load<u32>(s + W.DIRTY) != 0) return;
  store<u32>(s + W.DIRTY, 1);
  store<i32>(W.dirtyBuf + (<usize>dirtyCount << 2), slot);
  dirtyCount++;
}

// @ts-ignore: decorator
@inline
function addToPanes(slot: i32, s: usize, ts: f64, v: f64, wm: f64): u8 {
  const id = paneOf(ts);
  if ((id + <f64>panes) * paneUs + latenessUs <= wm) return LATE;
  const p = pane(s, id);
  if (load<f64>(p + ID) != id) clearPane(p, id);
  addReading(p, ts, v);
  const fired = load<f64>(s + W.FIRED);
  let flag: u8 = 0;
  if ((id + 1) * paneUs <= fired) {
    // Fired windows that hold this pane and still take late readings fire again at the batch's end.
    const lastFired = min(fired, (id + <f64>panes) * paneUs);
    if (lastFired + latenessUs > wm) {
      const from = max((id + 1) * paneUs, (Math.floor((wm - latenessUs) / paneUs) + 1) * paneUs);
      store<f64>(s + W.REFIRE, min(load<f64>(s + W.REFIRE), from));
      markDirty(slot, s);
      flag = UPDATE;
    }
  }
  const due = max((id + 1) * paneUs, fired + paneUs);
  if (due <= (id + <f64>panes) * paneUs && due < load<f64>(s + W.NEXT_DUE)) store<f64>(s + W.NEXT_DUE, due);
  return flag;
}

function addToSession(slot: i32, s: usize, ts: f64, v: f64): u8 {
  if (ts < load<f64>(s + W.FIRED)) return LATE;
  const p = s + W.HEADER_BYTES;
  // A reading past the open session's gap closes it: one open session per series.
  if (load<f64>(p + COUNT) > 0 && ts >= load<f64>(p + LAST_TS) + gapUs) closeSession(slot, s, p);
  if (load<f64>(p + ID) == -Infinity) clearPane(p, 0);
  addReading(p, ts, v);
  store<f64>(s + W.NEXT_DUE, load<f64>(p + LAST_TS) + gapUs);
  return 0;
}

/**
 * Takes the first `n` readings of the batch region (arrived at `arrival`, µs), writes a flag per reading
 * and emits the windows that fire into the results region; returns how many were emitted.
 */
export function assignBatch(n: i32, arrival: f64): i32 {
  emitted = 0;
  dirtyCount = 0;
  for (let i = 0; i < n; i++) {
    const slot = load<i32>(W.seriesBuf + (<usize>i << 2));
    const dev = load<i32>(W.deviceBuf + (<usize>i << 2));
    const ts = load<f64>(W.tsBuf + (<usize>i << 3));
    const v = load<f64>(W.valueBuf + (<usize>i << 3));
    const s = W.seriesStates + <usize>slot * W.seriesBytes;
    const d = W.deviceStates + <usize>dev * W.DEVICE_BYTES;
    store<i32>(s + W.DEVICE, dev);
    if (!(Number.isFinite(ts) && Number.isFinite(v))) {
      store<u8>(W.flagsBuf + <usize>i, SKIPPED);
      continue;
    }
    store<f64>(d + W.LAST_ARRIVAL, arrival);
    if (ts > load<f64>(d + W.MAX_TS)) {
      store<f64>(d + W.MAX_TS, ts);
      if (ts - boundUs > load<f64>(d + W.WATERMARK)) store<f64>(d + W.WATERMARK, ts - boundUs);
    }
    const wm = load<f64>(d + W.WATERMARK);
    if (load<f64>(s + W.NEXT_DUE) <= wm) fireSeries(slot, s, wm);
    store<u8>(W.flagsBuf + <usize>i, kind == SESSION ? addToSession(slot, s, ts, v) : addToPanes(slot, s, ts, v, wm));
  }
  for (let i = 0; i < dirtyCount; i++) {
    const slot = load<i32>(W.dirtyBuf + (<usize>i << 2));
    const s = W.seriesStates + <usize>slot * W.seriesBytes;
    store<u32>(s + W.DIRTY, 0);
    fireSeries(slot, s, load<f64>(W.deviceStates + <usize>load<i32>(s + W.DEVICE) * W.DEVICE_BYTES + W.WATERMARK));
  }
  return emitted;
}

/**
 * Moves idle devices' watermarks on by arrival time (`now`, µs) past their idle timeout, and fires every
 * series' windows the watermarks have passed; returns how many were emitted.
 */
export function sweepWindows(now: f64): i32 {
  emitted = 0;
  for (let i = 0; i < W.deviceCap; i++) {
    const d = W.deviceStates + <usize>i * W.DEVICE_BYTES;
    const arrived = load<f64>(d + W.LAST_ARRIVAL);
    if (arrived == 0) continue;
    const idleFor = now - arrived - idleUs;
    if (idleFor > 0) {
      const wm = load<f64>(d + W.MAX_TS) + idleFor - boundUs;
      if (wm > load<f64>(d + W.WATERMARK)) store<f64>(d + W.WATERMARK, wm);
    }
  }
  const size = W.seriesBytes;
  for (let slot = 0; slot < W.seriesCap; slot++) {
    const s = W.seriesStates + <usize>slot * size;
    if (load<f64>(s + W.NEXT_DUE) == Infinity) continue;
    const wm = load<f64>(W.deviceStates + <usize>load<i32>(s + W.DEVICE) * W.DEVICE_BYTES + W.WATERMARK);
    if (load<f64>(s + W.NEXT_DUE) <= wm) fireSeries(slot, s, wm);
  }
  return emitted;
}

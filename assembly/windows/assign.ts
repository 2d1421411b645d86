// Event-time windows, a batch at a time. Each device has a watermark: its newest event time minus the
// out-of-orderness bound, moved on by arrival time once the device has been idle (so a silent device's
// windows still close). A window fires when the watermark passes its end; a reading for a fired window
// that is still within the allowed lateness updates it and fires it again (at the batch's end); an
// older one goes to the late side output (flag LATE) and is counted by the host, never folded in.
// Tumbling and sliding windows share panes of `slide` µs: a window is `panes` consecutive panes, so a
// reading is added once, whatever the overlap. Session windows (as Flink's merging assigner): a
// reading opens [ts, ts + gap) and joins every session that window overlaps, merging two it bridges;
// a session fires when the watermark passes its end and then takes late readings (firing again) until
// the watermark passes its end plus the allowed lateness.
import { growTo } from "../memory/grow";
import { paneBytes, setSketching, ID, COUNT, LAST_TS, FIRST_TS, clearPane, addReading, mergeFilling, mergeFillingInto, standardize } from "./pane";
import * as W from "./workspace";

export const LATE: u8 = 1;
export const UPDATE: u8 = 2;
export const SKIPPED: u8 = 4;
/** Record flags: a window fired again after a late reading. */
export const REFIRED: f64 = 1;

const SESSION: i32 = 1;
/** Sessions a series holds at once (open, or fired and still taking late readings); past that the oldest closes early. */
const SESSIONS: i32 = 4;
// A session pane's ID is its state (−∞: free).
const OPEN: f64 = 0;
/** Fired; kept until the watermark passes its end plus the allowed lateness. */
const KEPT: f64 = 1;
/** Fired, then took a late reading: fires again at the batch's end. */
const REFIRE_DUE: f64 = 2;

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
    W.setRing(SESSIONS);
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
    fireSessions(slot, s, wm);
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

// @ts-ignore: decorator
@inline
function sessionPane(s: usize, i: i32): usize {
  return s + W.HEADER_BYTES + <usize>i * paneBytes;
}

// @ts-ignore: decorator
@inline
function sessionEnd(p: usize): f64 {
  return load<f64>(p + LAST_TS) + gapUs;
}

function emitSession(slot: i32, p: usize, flags: f64): void {
  const r = record(slot, load<f64>(p + FIRST_TS), sessionEnd(p), flags);
  standardize(r + 32 - COUNT, p);
}

/** Fires the open sessions the watermark has passed and the fired ones that took late readings; sets NEXT_DUE. */
function fireSessions(slot: i32, s: usize, wm: f64): void {
  let due = Infinity;
  for (let i = 0; i < SESSIONS; i++) {
    const p = sessionPane(s, i);
    const state = load<f64>(p + ID);
    if (state == OPEN) {
      const end = sessionEnd(p);
      if (end > wm) {
        due = min(due, end);
        continue;
      }
      emitSession(slot, p, 0);
      store<f64>(p + ID, KEPT);
    } else if (state == REFIRE_DUE) {
      emitSession(slot, p, REFIRED);
      store<f64>(p + ID, KEPT);
    }
  }
  store<f64>(s + W.NEXT_DUE, due);
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
  // Most readings fall in the pane the series' last one did: its index and place are kept in the header.
  let id = load<f64>(s + W.LAST_PANE);
  let p: usize;
  if (ts >= id * paneUs && ts < (id + 1) * paneUs) {
    p = s + <usize>load<u32>(s + W.LAST_PANE_AT);
  } else {
    id = paneOf(ts);
    p = pane(s, id);
    store<f64>(s + W.LAST_PANE, id);
    store<u32>(s + W.LAST_PANE_AT, <u32>(p - s));
  }
  if ((id + <f64>panes) * paneUs + latenessUs <= wm) return LATE;
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

/**
 * Adds a reading to the session its window [ts, ts + gap) overlaps (merging two it bridges), or to a new
 * one; a session the watermark has passed fires (again) at the batch's end.
 */
function addToSession(slot: i32, s: usize, ts: f64, v: f64, wm: f64): u8 {
  let a: usize = 0;
  let b: usize = 0;
  let free: usize = 0;
  let oldest: usize = 0;
  for (let i = 0; i < SESSIONS; i++) {
    const p = sessionPane(s, i);
    const state = load<f64>(p + ID);
    // A kept session past its lateness is free (a refire still due is not: it fires at the batch's end).
    if (state == -Infinity || (state == KEPT && sessionEnd(p) + latenessUs <= wm)) {
      if (free == 0) free = p;
      continue;
    }
    if (ts > load<f64>(p + FIRST_TS) - gapUs && ts < sessionEnd(p)) {
      if (a == 0) a = p;
      else b = p;
    }
    if (oldest == 0 || load<f64>(p + FIRST_TS) < load<f64>(oldest + FIRST_TS)) oldest = p;
  }
  let fired = false;
  if (a == 0) {
    if (ts + gapUs + latenessUs <= wm) return LATE;
    if (free == 0) {
      // Every pane holds a session: the oldest closes early (firing now if it has not).
      const state = load<f64>(oldest + ID);
      if (state != KEPT) emitSession(slot, oldest, state == REFIRE_DUE ? REFIRED : 0);
      free = oldest;
    }
    clearPane(free, OPEN);
    a = free;
  } else {
    fired = load<f64>(a + ID) != OPEN;
    if (b != 0) {
      fired = fired || load<f64>(b + ID) != OPEN;
      mergeFillingInto(a, b);
      store<f64>(b + ID, -Infinity);
    }
  }
  addReading(a, ts, v);
  const end = sessionEnd(a);
  if (end < load<f64>(s + W.NEXT_DUE)) store<f64>(s + W.NEXT_DUE, end);
  if (end > wm) {
    // Open (again, when a late reading carried a fired session past the watermark): fires at its end.
    store<f64>(a + ID, OPEN);
    return 0;
  }
  // Late, within the allowed lateness: the session fires (again) at the batch's end.
  store<f64>(a + ID, fired ? REFIRE_DUE : OPEN);
  markDirty(slot, s);
  return UPDATE;
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
    store<u8>(W.flagsBuf + <usize>i, kind == SESSION ? addToSession(slot, s, ts, v, wm) : addToPanes(slot, s, ts, v, wm));
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

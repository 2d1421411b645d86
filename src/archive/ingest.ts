// Applies appended (or replayed) runs to the series heads and seals what the watermark releases:
// between appends, a few milliseconds at a time, since an hour boundary makes every series of a fleet
// sealable at once (tens of thousands of blocks to encode). Until sealed, points stay in their head
// (or, while a checkpoint seals them, taken aside from it), where queries see them.
import type { SeriesRuns } from "./batch.js";
import { splitSeriesKey } from "./series-key.js";
import { sealDetached, type BlockPoints, type SeriesHead } from "./head.js";
import type { ArchiveState, SealedBlock } from "./state.js";
import type { ArrivedBlock } from "./edge-blocks.js";

/** Encodes one run of points as a sealed block with the next sequence. */
export function sealBlock(state: ArchiveState, key: string, points: BlockPoints): SealedBlock {
  const block = state.codec.encode(points.timestamps, points.values);
  state.stats.blocksSealed++;
  return { key, block, summary: state.codec.summary(block), sequence: state.nextSequence++, late: points.late };
}

/** Adds points from … to − 1 to a series' head and moves what it can seal into pending blocks; returns how many were late. */
function addToHead(state: ArchiveState, head: SeriesHead, timestamps: Float64Array, values: Float64Array, from: number, to: number): number {
  observeNew(state, head);
  const late = head.add(timestamps, values, from, to, state.policy.lateness);
  if (head.canSeal(state.policy)) queueSeal(state, head);
  return late;
}

/** Longest a sealing slice runs before it lets appends and queries in. */
const SEAL_SLICE_MS = 4;

function queueSeal(state: ArchiveState, head: SeriesHead): void {
  state.sealQueue.add(head);
  if (state.sealScheduled) return;
  state.sealScheduled = true;
  setImmediate(() => sealSlice(state));
}

/**
 * Seals queued heads for up to SEAL_SLICE_MS, then yields (a checkpoint seals whatever is left). Not
 * while a checkpoint seals the points it detached: those are older writes and must get the lower
 * sequences; the checkpoint resumes this afterwards (resumeSealing).
 */
function sealSlice(state: ArchiveState): void {
  state.sealScheduled = false;
  if (state.closed || state.detached.size > 0) return;
  const until = performance.now() + SEAL_SLICE_MS;
  for (const head of state.sealQueue) {
    state.sealQueue.delete(head);
    if (head.canSeal(state.policy)) {
      for (const b of head.seal(state.policy)) pend(state, sealBlock(state, head.key, b));
    }
    if (performance.now() >= until) break;
  }
  if (state.sealQueue.size > 0) {
    state.sealScheduled = true;
    setImmediate(() => sealSlice(state));
  }
}

/** Starts sealing queued heads again once a checkpoint has sealed what it detached. */
export function resumeSealing(state: ArchiveState): void {
  if (state.sealQueue.size === 0 || state.sealScheduled) return;
  state.sealScheduled = true;
  setImmediate(() => sealSlice(state));
}

/** Registers a series in the registry the first time it gets points. */
function observeNew(state: ArchiveState, head: SeriesHead): void {
  if (head.isEmpty && head.newest === -Infinity) {
    const { device, channel } = splitSeriesKey(head.key);
    state.registry.observe(device, channel);
  }
}

/**
 * Seals the points a checkpoint detached from the heads (partial blocks too), a few milliseconds at a
 * time, into `into` and the blocks queries read while the checkpoint runs: appends and queries go on
 * between slices, and each series' points move from `detached` to those blocks within one slice, so a
 * query sees them once. False when the archive was closed meanwhile (what is left stays detached).
 */
export async function sealDetachedInSlices(state: ArchiveState, into: SealedBlock[]): Promise<boolean> {
  let until = performance.now() + SEAL_SLICE_MS;
  for (const [key, points] of state.detached) {
    if (state.closed) return false;
    const blocks = sealDetached(points, state.policy).map((b) => sealBlock(state, key, b));
    into.push(...blocks);
    state.inflight.push(...blocks);
    state.detached.delete(key);
    if (performance.now() >= until) {
      await new Promise((resolve) => setImmediate(resolve));
      until = performance.now() + SEAL_SLICE_MS;
    }
  }
  return !state.closed;
}

/** Puts back into their heads the points a failed checkpoint detached and had not sealed yet. */
export function restoreDetached(state: ArchiveState): void {
  for (const [key, { open, late }] of state.detached) {
    const head = state.head(key);
    for (const buffer of [open, late]) {
      if (buffer.length === 0) continue;
      const { timestamps, values } = buffer.takeAll();
      addToHead(state, head, timestamps, values, 0, timestamps.length);
    }
  }
  state.detached.clear();
}

function pend(state: ArchiveState, sealed: SealedBlock): void {
  state.pending.push(sealed);
  state.pendingBytes += sealed.block.length;
}

/** Adds runs to their heads (registering new series) and moves sealable points into pending blocks. */
export function applyRuns(state: ArchiveState, { series, starts, timestamps, values }: SeriesRuns): { points: number; late: number } {
  let late = 0;
  for (let i = 0; i < series.length; i++) late += addToHead(state, state.headOf(series[i]), timestamps, values, starts[i], starts[i + 1]);
  const points = starts[series.length];
  state.stats.pointsAppended += points;
  state.stats.latePoints += late;
  return { points, late };
}

/**
 * Stores edge-compressed blocks: as they arrived when the block can be trusted and fits the layout
 * (one block window, at most blockPoints, after everything its series has, with nothing of the series
 * waiting unsealed), else through the series' head like any readings.
 */
export function applyEdgeBlocks(state: ArchiveState, blocks: readonly ArrivedBlock[]): { points: number; late: number } {
  const { blockWindow, blockPoints } = state.policy;
  let points = 0;
  let late = 0;
  for (const b of blocks) {
    const head = state.headOf(b.series);
    const n = b.timestamps.length;
    const first = b.timestamps[0];
    const last = b.timestamps[n - 1];
    const fits = b.trusted && n <= blockPoints && Math.floor(first / blockWindow) === Math.floor(last / blockWindow);
    if (fits && head.isEmpty && first > head.newest) {
      observeNew(state, head);
      head.newest = last;
      pend(state, { key: head.key, block: b.bytes, summary: state.codec.summary(b.bytes), sequence: state.nextSequence++, late: false });
      state.stats.blocksStoredAsSent++;
    } else {
      late += addToHead(state, head, b.timestamps, b.values, 0, n);
    }
    points += n;
  }
  state.stats.pointsAppended += points;
  state.stats.latePoints += late;
  return { points, late };
}

// A checkpoint moves everything in memory into segments and retires the WAL that covered it:
//   0. seal every head into pending blocks a few milliseconds at a time (appends go on, into this WAL);
//   1. open the next WAL file; 2. in one synchronous step switch appends to it and seal what reached
//   the heads since, together with the pending blocks; 3. wait until the old WAL's records are synced;
//   4. write the segments; 5. save registry and manifest (the commit point); 6. drop old WALs.
// A crash before 5 replays the old WAL; after 5 the segments hold everything it had. Step 0 keeps a
// checkpoint from holding the thread for the whole fleet's sealing at once (hundreds of ms at 64 k series).
import { WalWriter, dropWalBefore } from "./wal.js";
import { sealBlock, sealEverythingInSlices } from "./ingest.js";
import { writePartitions } from "./partition-write.js";
import { saveManifest } from "./manifest.js";
import type { ArchiveState, SealedBlock } from "./state.js";

export async function checkpoint(state: ArchiveState): Promise<void> {
  await sealEverythingInSlices(state);
  // Abandoned meanwhile (a lease lost): the new owner replays the WAL; nothing more is written here.
  if (state.closed) return;
  const old = state.wal;
  const next = await WalWriter.open(state.walDir, old.sequence + 1);
  state.wal = next;
  const frozen: SealedBlock[] = state.pending;
  state.pending = [];
  state.pendingBytes = 0;
  for (const head of state.heads.values()) {
    if (!head.isEmpty) for (const b of head.seal(state.policy, true)) frozen.push(sealBlock(state, head.key, b));
  }
  state.inflight = state.inflight.concat(frozen);
  try {
    await old.close();
    let segmentNumber = state.manifest.nextSegment;
    const entries = await writePartitions(state.dir, state.manifest.layout, frozen, () => segmentNumber++);
    await state.registry.save();
    const committed = {
      ...state.manifest,
      walCheckpoint: next.sequence,
      nextSegment: segmentNumber,
      nextSequence: state.nextSequence,
      segments: state.manifest.segments.concat(entries),
    };
    await saveManifest(state.dir, committed);
    state.manifest = committed;
    state.stats.checkpoints++;
  } catch (err) {
    // Nothing is lost: the blocks wait for the next checkpoint and the WAL that holds them stays.
    state.pending = frozen.concat(state.pending);
    state.pendingBytes += frozen.reduce((s, b) => s + b.block.length, 0);
    throw err;
  } finally {
    const done = new Set(frozen);
    state.inflight = state.inflight.filter((b) => !done.has(b));
  }
  await dropWalBefore(state.walDir, next.sequence);
}

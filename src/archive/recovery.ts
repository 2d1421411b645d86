// Opening an archive: load (or create) the manifest and registry, delete segment files a crashed
// checkpoint left behind, replay the WAL written since the last checkpoint into the heads, then
// checkpoint so the next crash has nothing to replay.
import { mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { loadManifest, saveManifest, type Manifest } from "./manifest.js";
import { listWal, replayWal, WalWriter } from "./wal.js";
import { decodeWalRecord } from "./wal-record.js";
import type { SeriesName } from "./series-key.js";
import { applyEdgeBlocks, applyRuns } from "./ingest.js";
import { checkpoint } from "./checkpoint.js";
import type { ArchiveState } from "./state.js";
import type { Layout } from "./layout.js";
import { ArchiveError, ioError } from "./errors.js";

/** The manifest of `dir`, created with `layout` when the archive is new. Refuses a different layout. */
export async function openManifest(dir: string, layout: Layout, explicit: Partial<Layout>): Promise<Manifest> {
  try {
    await mkdir(join(dir, "wal"), { recursive: true });
    await mkdir(join(dir, "data"), { recursive: true });
  } catch (err) {
    throw ioError(err, "creating", dir);
  }
  const existing = await loadManifest(dir);
  if (existing) {
    for (const [k, v] of Object.entries(explicit)) {
      if (v !== undefined && existing.layout[k as keyof Layout] !== v) {
        throw new ArchiveError("LAYOUT_MISMATCH", `${dir} was created with ${k} = ${existing.layout[k as keyof Layout]}, not ${v}`);
      }
    }
    return existing;
  }
  const fresh: Manifest = { format: 1, layout, walCheckpoint: 1, nextSegment: 1, nextSequence: 1, segments: [], quarantine: [] };
  await saveManifest(dir, fresh);
  return fresh;
}

/**
 * Deletes segment files the manifest does not name (written by a checkpoint that never committed) and
 * temporary files of interrupted replacements.
 */
export async function removeOrphans(dir: string, manifest: Manifest): Promise<number> {
  const live = new Set(manifest.segments.map((s) => s.file));
  let removed = 0;
  // A crash while replacing manifest.json or registry.json leaves its temporary file here.
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith(".tmp")) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed++;
    }
  }
  const data = join(dir, "data");
  for (const name of await readdir(data).catch(() => [] as string[])) {
    const file = join("data", name);
    if ((name.endsWith(".seg") && !live.has(file)) || name.endsWith(".tmp")) {
      await unlink(join(dir, file)).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/** Replays WAL files from the manifest's checkpoint on, opens a new WAL, and checkpoints if needed. */
export async function replay(state: ArchiveState): Promise<void> {
  const sequences = (await listWal(state.walDir)).filter((s) => s >= state.manifest.walCheckpoint);
  let records = 0;
  for (const sequence of sequences) {
    const file = join(state.walDir, String(sequence));
    const names: SeriesName[] = [];
    const result = await replayWal(state.walDir, sequence, (payload) => {
      try {
        const { runs, edge } = decodeWalRecord(state.codec, payload, file, names);
        applyEdgeBlocks(state, edge);
        applyRuns(state, runs);
        records++;
      } catch (err) {
        state.stats.lastBackgroundError = `WAL ${sequence}: ${(err as Error).message}`;
      }
    });
    state.stats.walTailBytesDropped += result.tailBytes;
  }
  state.stats.walRecordsReplayed = records;
  const last = sequences.length > 0 ? sequences[sequences.length - 1] : state.manifest.walCheckpoint - 1;
  state.wal = await WalWriter.open(state.walDir, Math.max(last + 1, state.manifest.walCheckpoint));
  if (records > 0 || sequences.length > 0) await state.exclusively(() => checkpoint(state));
}

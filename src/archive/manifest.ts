// The manifest: the one file that says which segments are live, where WAL replay starts, and the
// layout. Replaced atomically, so a crash leaves the old or the new version.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { ArchiveError, ioError } from "./errors.js";
import type { Layout } from "./layout.js";

/** A live segment file. */
export interface SegmentEntry {
  /** Path relative to the archive directory. */
  file: string;
  window: string;
  windowStart: number;
  windowEnd: number;
  bucket: number;
  blocks: number;
  bytes: number;
  points: number;
  minTime: number;
  maxTime: number;
}

/** A block set aside by an integrity check: queries skip it and say so. */
export interface QuarantinedBlock {
  file: string;
  offset: number;
  reason: string;
}

export interface Manifest {
  format: 1;
  layout: Layout;
  /** WAL files from this sequence on hold data not yet in segments. */
  walCheckpoint: number;
  nextSegment: number;
  nextSequence: number;
  segments: SegmentEntry[];
  quarantine: QuarantinedBlock[];
}

export const MANIFEST_FILE = "manifest.json";

/** Loads the manifest, or undefined for a new archive. */
export async function loadManifest(dir: string): Promise<Manifest | undefined> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw ioError(err, "reading", file);
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.format !== 1 || !Array.isArray(m.segments) || typeof m.walCheckpoint !== "number") throw new Error("unexpected shape");
    m.quarantine ??= [];
    return m;
  } catch (err) {
    throw new ArchiveError("CORRUPT_MANIFEST", `${file} is not a valid manifest: ${(err as Error).message}`, file);
  }
}

export async function saveManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}

// Index rebuild: a segment's entries describe themselves (key, flags, sequence, block), so a lost or
// corrupt index is rebuilt by walking them, keeping every block that still decodes. Run exclusively.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSegment, type BlockToWrite } from "../segment-write.js";
import { saveManifest } from "../manifest.js";
import { SEGMENT_MAGIC, SEGMENT_HEADER_BYTES, FLAG_LATE, ENTRY_PREFIX_BYTES } from "../segment-format.js";
import { HEADER } from "../../codec/format.js";
import { ArchiveError, ioError } from "../errors.js";
import type { ArchiveState } from "../state.js";

const decoder = new TextDecoder();

export interface RebuildReport {
  file: string;
  blocksKept: number;
  bytesSkipped: number;
}

/** Walks the entries of segment `file` (relative path), writes a fresh index, updates the manifest. */
export async function rebuildIndex(state: ArchiveState, file: string): Promise<RebuildReport> {
  const entry = state.manifest.segments.find((s) => s.file === file);
  if (!entry) throw new ArchiveError("MISSING_FILE", `${file} is not a live segment`, file);
  const path = join(state.dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw ioError(err, "reading", path);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < SEGMENT_HEADER_BYTES || view.getUint32(0, true) !== SEGMENT_MAGIC) {
    throw new ArchiveError("CORRUPT_SEGMENT", `${file} does not start like a segment`, file);
  }
  const blocks: BlockToWrite[] = [];
  let kept = 0;
  let at = SEGMENT_HEADER_BYTES;
  // Entries end where the old index begins: the first place that does not parse as an entry.
  while (at + 2 <= bytes.length) {
    const keyLength = view.getUint16(at, true);
    const blockAt = at + 2 + keyLength + ENTRY_PREFIX_BYTES;
    if (blockAt + HEADER.fixedBytes + 4 > bytes.length || view.getUint32(blockAt, true) !== 0x4b425049) break;
    const length = view.getUint16(blockAt + HEADER.headerLength, true) + view.getUint32(blockAt + HEADER.timestampBytes, true) + view.getUint32(blockAt + HEADER.valueBytes, true);
    if (blockAt + length > bytes.length) break;
    const block = bytes.slice(blockAt, blockAt + length);
    try {
      state.codec.decode(block);
      const flags = view.getUint8(at + 2 + keyLength);
      blocks.push({
        key: decoder.decode(bytes.subarray(at + 2, at + 2 + keyLength)),
        late: (flags & FLAG_LATE) !== 0,
        sequence: view.getFloat64(at + 3 + keyLength, true),
        block,
      });
      kept += blockAt + length - at;
    } catch {
      // A block that no longer decodes is left out of the rebuilt index.
    }
    at = blockAt + length;
  }
  await state.files.forget(path);
  const size = await writeSegment(path, blocks);
  state.catalog.delete(file);
  const committed = {
    ...state.manifest,
    nextSequence: state.nextSequence,
    segments: state.manifest.segments.map((s) => (s.file === file ? { ...s, blocks: blocks.length, bytes: size } : s)),
  };
  await saveManifest(state.dir, committed);
  state.manifest = committed;
  return { file, blocksKept: blocks.length, bytesSkipped: at - SEGMENT_HEADER_BYTES - kept };
}

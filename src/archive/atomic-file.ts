// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target, fsync the
// directory. After a crash the target holds the old bytes or the new bytes, never a mix.
import { open, rename, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { ioError } from "./errors.js";

/** fsyncs a directory so a rename or a new file in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `file` with `data` atomically and durably. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncDirectory(dirname(file));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw ioError(err, "writing", file);
  }
}

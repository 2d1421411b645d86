// The partition count a data directory was made with, recorded beside its partitions. Devices are
// placed by a hash modulo the count: a run with another count would not open the partitions past its
// own (their readings vanish from queries) and would split every moved series across two archives.
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../archive/atomic-file.js";

/** The configured partition count differs from the one the data directory was made with. */
export class PartitionCountError extends Error {
  override readonly name = "PartitionCountError";
}

const RECORD = "partitions.json";

/**
 * Checks `partitions` against what `dataDir` was made with and records it when nothing is recorded.
 * A directory from before the record is judged by its partition directories (p000, p001, …).
 */
export async function settlePartitionCount(dataDir: string, partitions: number): Promise<void> {
  const file = join(dataDir, RECORD);
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  const made = text === undefined ? await countFromDirectories(dataDir) : recorded(text, file);
  if (made !== undefined && made !== partitions) {
    throw new PartitionCountError(
      `data directory ${dataDir} was made with ${made} partitions, and this run asks for ${partitions}: set partitions to ${made} (or use a new directory)`,
    );
  }
  if (text === undefined) {
    await mkdir(dataDir, { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify({ partitions })}\n`);
  }
}

function recorded(text: string, file: string): number {
  let value: unknown;
  try {
    value = (JSON.parse(text) as { partitions?: unknown }).partitions;
  } catch {
    value = undefined;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) throw new PartitionCountError(`${file} does not hold a partition count: ${JSON.stringify(text.slice(0, 80))}`);
  return value;
}

/** One more than the highest partition directory's number; undefined when there is none. */
async function countFromDirectories(dataDir: string): Promise<number | undefined> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  const numbers = names.filter((n) => /^p\d{3}$/.test(n)).map((n) => Number(n.slice(1)));
  return numbers.length === 0 ? undefined : Math.max(...numbers) + 1;
}

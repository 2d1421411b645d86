// One embedded iotpipe per data directory: two would both write every partition's archive. The lock is
// a pid file created exclusively; one left by a process that no longer runs (kill -9, power loss) is
// taken over. Scale-out worker processes share a directory on purpose: their Redis leases guard it.
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";

/** The data directory is held by another running process. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock on `dir` (creating it); resolves with the function that releases it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "iotpipe.pid");
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
      throw new DataDirInUseError(`data directory ${dir} is in use by process ${holder} (remove ${file} if that process is not iotpipe)`);
    }
    await unlink(file).catch(() => undefined);
  }
}

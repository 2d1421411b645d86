// How much disk a store's directory takes, as du counts it: allocated blocks (what `du` prints) and
// apparent bytes (what `du -b` prints), directories included.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

export interface DiskUsage {
  /** Bytes of allocated blocks (st_blocks × 512), as `du -s --block-size=1`. */
  allocated: number;
  /** Sum of file sizes, as `du -sb`. */
  apparent: number;
  files: number;
}

export async function diskUsage(dir: string): Promise<DiskUsage> {
  const usage: DiskUsage = { allocated: 0, apparent: 0, files: 0 };
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    usage.allocated += st.blocks * 512;
    usage.apparent += st.size;
    if (st.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name));
    } else {
      usage.files++;
    }
  };
  await visit(dir);
  return usage;
}

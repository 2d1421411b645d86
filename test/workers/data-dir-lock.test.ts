// One embedded iotpipe per data directory: a second is refused while the first runs; a lock left by a
// process that died is taken over.
import { describe, it, expect, afterEach } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDirInUseError, lockDataDir } from "../../src/workers/data-dir-lock.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "iotpipe-lock-"));
  dirs.push(d);
  return d;
};

describe("the data directory lock", () => {
  it("is refused while the process holding it runs, naming that process", async () => {
    const dir = await tempDir();
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      await writeFile(join(dir, "iotpipe.pid"), `${holder.pid}\n`);
      const err = await lockDataDir(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirInUseError);
      expect((err as Error).message).toContain(`process ${holder.pid}`);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("is taken over from a process that no longer runs, and released", async () => {
    const dir = await tempDir();
    const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => dead.once("exit", r));
    await writeFile(join(dir, "iotpipe.pid"), `${dead.pid}\n`);
    const release = await lockDataDir(dir);
    expect((await readFile(join(dir, "iotpipe.pid"), "utf8")).trim()).toBe(String(process.pid));
    await release();
    await expect(readFile(join(dir, "iotpipe.pid"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    await (await lockDataDir(dir))();
  });
});

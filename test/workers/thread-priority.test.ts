// A worker thread lowers its own CPU priority (Linux: per-thread nice) and nobody else's.
import { describe, it, expect } from "vitest";
import { Worker } from "node:worker_threads";
import { getPriority } from "node:os";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../dist/workers/thread-priority.js", import.meta.url));

describe.runIf(process.platform === "linux")("lowerThreadPriority", () => {
  it("sets the calling thread's nice value and leaves the process's alone", async () => {
    const code = `import(${JSON.stringify(entry)}).then(async (m) => {
      const { readlinkSync } = await import("node:fs");
      const { getPriority } = await import("node:os");
      const { parentPort } = await import("node:worker_threads");
      const ok = m.lowerThreadPriority(7);
      const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
      parentPort.postMessage({ ok, nice: getPriority(tid) });
    });`;
    const before = getPriority();
    const answer = await new Promise<{ ok: boolean; nice: number }>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once("message", (m) => {
        resolve(m);
        void w.terminate();
      });
      w.once("error", reject);
    });
    expect(answer).toEqual({ ok: true, nice: Math.max(7, before) });
    expect(getPriority()).toBe(before);
  });
});

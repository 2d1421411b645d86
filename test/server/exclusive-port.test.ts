// An embedded server owns its port: a second one started on it (say, `npm start` run twice) fails
// instead of silently sharing the connections with the first.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.js";
import { startIotpipe, type Running } from "../../src/main.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function embedded(port: number): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), "iotpipe-port-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return startIotpipe(loadConfig(undefined, {}, { port, dataDir: dir, partitions: 1, workers: 1 }), () => undefined);
}

describe("an embedded server", () => {
  it("refuses to start on a port another server listens on", async () => {
    const first = await embedded(0);
    cleanups.push(() => first.stop());
    await expect(embedded(first.port)).rejects.toThrow(`cannot listen on 127.0.0.1:${first.port}`);
    const health = await fetch(`http://127.0.0.1:${first.port}/health`);
    expect(await health.text()).toBe("ok");
  });
});

import { openSync, closeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderProcessMetrics } from "../../src/server/process-metrics.js";

function values(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const [name, value] = line.split(" ");
    out.set(name, Number(value));
  }
  return out;
}

describe("process metrics", () => {
  it("carry prom-client's names, each with its help and type, and values that belong to this process", async () => {
    const text = await renderProcessMetrics();
    const v = values(text);
    for (const name of v.keys()) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`# TYPE ${name} (counter|gauge)\\n`));
    }
    expect(v.get("process_resident_memory_bytes")).toBeGreaterThan(1 << 20);
    expect(v.get("process_cpu_seconds_total")).toBeCloseTo(v.get("process_cpu_user_seconds_total")! + v.get("process_cpu_system_seconds_total")!, 6);
    expect(v.get("process_start_time_seconds")).toBeLessThanOrEqual(Date.now() / 1000);
    expect(v.get("nodejs_heap_size_used_bytes")).toBeLessThanOrEqual(v.get("nodejs_heap_size_total_bytes")!);
  });

  it("count the files this process opens among its open descriptors (Linux)", async () => {
    if (process.platform !== "linux") return;
    const before = values(await renderProcessMetrics()).get("process_open_fds")!;
    const fds = Array.from({ length: 32 }, () => openSync(process.execPath, "r"));
    try {
      // Other threads of the test runner may open or close a file meanwhile: a few either way.
      const after = values(await renderProcessMetrics()).get("process_open_fds")!;
      expect(after - before).toBeGreaterThanOrEqual(28);
      expect(after - before).toBeLessThanOrEqual(36);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });
});

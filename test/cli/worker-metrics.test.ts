import { afterEach, describe, expect, it } from "vitest";
import { WorkerMetrics, type MeteredWorker } from "../../src/cli/worker-metrics.js";
import { serveMetrics, type MetricsEndpoint } from "../../src/cli/metrics-endpoint.js";

let endpoint: MetricsEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

/** A worker's state as /metrics reads it: three partitions, 40 entries waiting. */
const worker: MeteredWorker = {
  stats: { readings: 12_000, appends: 3, entries: 9, claimed: 2, partitionsTaken: 4, partitionsLost: 1 },
  partitions: [0, 3, 5],
  backlog: async () => 40,
};

const valueIn = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);

describe("a scale-out worker's /metrics", () => {
  it("serves its counters, its partitions and backlog, and one histogram observation per append on a real socket", async () => {
    const metrics = new WorkerMetrics();
    for (const [appendMs, syncMs] of [[3, 1], [12, 4], [700, 650]]) metrics.appends.observe({ appendMs, syncMs });
    endpoint = await serveMetrics("127.0.0.1", 0, () => metrics.render(worker));
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(valueIn(text, "iotpipe_worker_readings_stored_total")).toBe(12_000);
    expect(valueIn(text, "iotpipe_archive_appends_total")).toBe(3);
    expect(valueIn(text, "iotpipe_archive_append_batches_total")).toBe(9);
    expect(valueIn(text, "iotpipe_worker_entries_claimed_total")).toBe(2);
    expect(valueIn(text, "iotpipe_worker_partitions_lost_total")).toBe(1);
    expect(valueIn(text, "iotpipe_worker_partitions_owned")).toBe(3);
    expect(valueIn(text, "iotpipe_worker_backlog_entries")).toBe(40);
    expect(valueIn(text, "iotpipe_archive_append_seconds_count")).toBe(3);
    expect(text).toContain('iotpipe_archive_append_seconds_bucket{le="0.005"} 1');
    expect(text).toContain('iotpipe_wal_fsync_seconds_bucket{le="0.005"} 2');
    expect(valueIn(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("answers /health, refuses other paths with 404, and reports a failed scrape as 500 without stopping", async () => {
    let fail = true;
    endpoint = await serveMetrics("127.0.0.1", 0, async () => {
      if (fail) throw new Error("Redis is unreachable");
      return "up 1\n";
    });
    const base = `http://127.0.0.1:${endpoint.port}`;
    expect(await (await fetch(`${base}/health`)).text()).toBe("ok");
    expect((await fetch(`${base}/v1/ingest`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(404);
    const failed = await fetch(`${base}/metrics`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain("Redis is unreachable");
    fail = false;
    expect(await (await fetch(`${base}/metrics`)).text()).toBe("up 1\n");
  });
});

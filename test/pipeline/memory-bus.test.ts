import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/pipeline/memory-bus.js";
import { busConformance, taggedBatch } from "./bus.conformance.js";

busConformance("MemoryBus", async () => {
  const bus = new MemoryBus();
  return { bus, cleanup: () => bus.close() };
});

describe("MemoryBus", () => {
  it("resolves publish only once a consumer has acked the batch (it keeps nothing on disk)", async () => {
    const bus = new MemoryBus();
    const s = { region: "eu", partition: 0, lane: "standard" as const };
    let published: string | undefined;
    const publishing = bus.publish(s, taggedBatch(1)).then((id) => (published = id));
    const [entry] = await bus.read({ group: "workers", name: "a" }, [s], 1, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(published).toBeUndefined();
    await bus.ack("workers", s, [entry.id]);
    await publishing;
    expect(published).toBe(entry.id);
    await bus.close();
  });
});

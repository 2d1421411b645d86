// Ingest triage at the socket: small frames are taken on arrival, large ones wait their turn, and a
// connection's frames keep their order.
import { describe, it, expect } from "vitest";
import { FrameTurns, QUEUED_FROM_BYTES } from "../../src/server/frame-turns.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("FrameTurns", () => {
  it("takes a device's small frame at once, even while gateway frames wait", async () => {
    const turns = new FrameTurns();
    const taken: string[] = [];
    const gateway = { waiting: 0 };
    const device = { waiting: 0 };
    for (let i = 0; i < 3; i++) turns.offer(gateway, QUEUED_FROM_BYTES, () => taken.push(`gateway ${i}`));
    turns.offer(device, 200, () => taken.push("device"));
    expect(taken).toEqual(["device"]);
    expect(turns.length).toBe(3);
    for (let i = 0; i < 10 && turns.length > 0; i++) await tick();
    expect(taken).toEqual(["device", "gateway 0", "gateway 1", "gateway 2"]);
  });

  it("keeps a connection's order: its small frame waits behind its own large one", async () => {
    const turns = new FrameTurns();
    const taken: number[] = [];
    const c = { waiting: 0 };
    turns.offer(c, QUEUED_FROM_BYTES * 2, () => taken.push(1));
    turns.offer(c, 10, () => taken.push(2));
    expect(taken).toEqual([]);
    for (let i = 0; i < 10 && turns.length > 0; i++) await tick();
    expect(taken).toEqual([1, 2]);
    expect(c.waiting).toBe(0);
    turns.offer(c, 10, () => taken.push(3));
    expect(taken).toEqual([1, 2, 3]);
  });

  it("works the queue in slices, so the event loop turns between them", async () => {
    const turns = new FrameTurns();
    const c = { waiting: 0 };
    const busy = () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
    };
    for (let i = 0; i < 20; i++) turns.offer(c, QUEUED_FROM_BYTES, busy);
    await tick();
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.length).toBeLessThan(20);
    for (let i = 0; i < 40 && turns.length > 0; i++) await tick();
    expect(turns.length).toBe(0);
  });
});

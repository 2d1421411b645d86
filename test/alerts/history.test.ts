// Alert history on disk: what was appended is queryable after a restart, open alerts come back, a torn
// last line is skipped and counted, and the file is rewritten when it outgrows twice its bound.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, rm, readFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlertHistory } from "../../src/alerts/history.js";
import type { Alert, AlertEvent } from "../../src/alerts/lifecycle.js";

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "iotpipe-alert-history-"))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

function event(type: AlertEvent["type"], id: string, at: number, device = "press-1"): AlertEvent {
  const state: Alert["state"] = type === "resolved" ? "resolved" : type === "pending" ? "pending" : "firing";
  const alert: Alert = { id, rule: "hot", device, channel: "temp", state, severity: "warning", summary: "", value: 95, worst: 95, breaches: 1, since: at, lastBreach: at, escalated: false };
  return { type, at, alert };
}

describe("AlertHistory", () => {
  it("answers queries after a restart and gives back the alerts left open", async () => {
    const file = join(dir, "alerts", "history.jsonl");
    const h = await AlertHistory.open(file, 100);
    h.append(event("firing", "a", 1));
    h.append(event("firing", "b", 2, "press-2"));
    h.append(event("resolved", "a", 3));
    h.append(event("pending", "c", 4));
    await h.flush();
    const again = await AlertHistory.open(file, 100);
    expect(again.query({}).map((e) => `${e.type} ${e.alert.id}`)).toEqual(["pending c", "resolved a", "firing b", "firing a"]);
    expect(again.query({ from: 2, to: 3 }).map((e) => e.at)).toEqual([3, 2]);
    expect(again.query({ id: "a" }).map((e) => e.type)).toEqual(["resolved", "firing"]);
    expect(again.query({ type: "firing", limit: 1 }).map((e) => e.alert.id)).toEqual(["b"]);
    expect(again.query({}, (d) => d === "press-2").map((e) => e.alert.id)).toEqual(["b"]);
    expect(again.openAlerts().map((a) => a.id).sort()).toEqual(["b", "c"]);
  });

  it("skips and counts a torn last line", async () => {
    const file = join(dir, "history.jsonl");
    const h = await AlertHistory.open(file, 100);
    h.append(event("firing", "a", 1));
    await h.flush();
    await appendFile(file, '{"type":"resol');
    const again = await AlertHistory.open(file, 100);
    expect(again.unreadable).toBe(1);
    expect(again.query({}).map((e) => e.alert.id)).toEqual(["a"]);
  });

  it("rewrites the file with the newest events when it holds twice its bound", async () => {
    const file = join(dir, "history.jsonl");
    const h = await AlertHistory.open(file, 10);
    for (let i = 0; i < 25; i++) {
      h.append(event("firing", `x${i}`, i));
      await h.flush();
    }
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(JSON.parse(lines.at(-1)!).alert.id).toBe("x24");
    expect((await AlertHistory.open(file, 10)).query({}).length).toBe(10);
  });
});

// `iotpipe faults` end to end: the offline fleet with chaos through the health kernel, scored against
// the chaos injector's ground truth, with every fault kind held at F1 ≥ 0.95 on the evaluation fleet.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runFaultEvaluation, EVALUATION_FLEET } from "../../../src/eval/faults/run.js";
import { SCORED_KINDS } from "../../../src/eval/faults/score.js";

const cli = fileURLToPath(new URL("../../../dist/cli/iotpipe.js", import.meta.url));

describe("iotpipe faults", () => {
  it("prints one score per fault kind as JSON, the same for the same seed", () => {
    const run = () => JSON.parse(execFileSync(process.execPath, [cli, "faults", "--hours", "2", "--devices", "12", "--seed", "3", "--json"], { encoding: "utf8" }));
    const a = run();
    expect(a.kinds.map((k: { kind: string }) => k.kind)).toEqual([...SCORED_KINDS]);
    expect(a.readings).toBeGreaterThan(2 * 3600 * 12 * 4 * 0.8);
    expect(run()).toEqual(a);
  });

  it("finds every kind of fault with F1 of at least 0.95 on the evaluation fleet", async () => {
    const report = await runFaultEvaluation(EVALUATION_FLEET);
    for (const k of report.kinds) {
      expect(k.faults, k.kind).toBeGreaterThanOrEqual(20);
      expect(k.f1, k.kind).toBeGreaterThanOrEqual(0.95);
    }
  });

  it("refuses a bad option with a clear message", () => {
    expect(() => execFileSync(process.execPath, [cli, "faults", "--hours=-1"], { encoding: "utf8", stdio: "pipe" })).toThrow(/--hours must be a positive number/);
  });
});

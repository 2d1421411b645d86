// Fault scoring: right device, right channel for sensor faults, inside the span plus its allowance.
import { describe, it, expect } from "vitest";
import { scoreDetections } from "../../../src/eval/faults/score.js";
import type { GroundTruth } from "../../../src/sim/chaos.js";

const MIN = 60e6;

describe("fault scoring", () => {
  it("counts a sensor fault found only on its own channel, and every other detection as false", () => {
    const truth: GroundTruth[] = [{ device: "m1", channel: "pressure", kind: "stuck", from: 10 * MIN, to: 20 * MIN }];
    const stuck = scoreDetections(truth, [
      { kind: "stuck", device: "m1", channel: "pressure", at: 11 * MIN },
      { kind: "stuck", device: "m1", channel: "temperature", at: 11 * MIN },
      { kind: "stuck", device: "m2", channel: "pressure", at: 11 * MIN },
    ]).find((k) => k.kind === "stuck")!;
    expect(stuck).toMatchObject({ faults: 1, found: 1, detections: 3, correct: 1, recall: 1 });
    expect(stuck.precision).toBeCloseTo(1 / 3, 12);
    expect(stuck.f1).toBeCloseTo(0.5, 12);
    expect(stuck.medianDelaySeconds).toBe(60);
  });

  it("counts a device fault found on any channel, within its allowance after the end but not before the start", () => {
    const truth: GroundTruth[] = [
      { device: "m1", kind: "gap", from: 10 * MIN, to: 12 * MIN },
      { device: "m2", kind: "gap", from: 10 * MIN, to: 12 * MIN },
    ];
    const gap = scoreDetections(truth, [
      { kind: "gap", device: "m1", channel: "vibration", at: 12 * MIN + 5e6 },
      { kind: "gap", device: "m2", at: 9 * MIN },
    ]).find((k) => k.kind === "gap")!;
    expect(gap).toMatchObject({ faults: 2, found: 1, detections: 2, correct: 1, precision: 0.5, recall: 0.5 });
  });

  it("scores a kind with no faults and no detections as perfect, and one with faults but no detections as zero", () => {
    const kinds = scoreDetections([{ device: "m1", channel: "pressure", kind: "spike", from: MIN, to: MIN }], []);
    expect(kinds.find((k) => k.kind === "drift")!.f1).toBe(1);
    expect(kinds.find((k) => k.kind === "spike")!).toMatchObject({ f1: 0, recall: 0, medianDelaySeconds: null });
  });
});

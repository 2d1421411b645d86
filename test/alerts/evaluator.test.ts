// Rules against readings and signals, through the lifecycle: pending → firing → resolved, one alert per
// (rule, series), escalation and repeats for alerts nobody acknowledged.
import { describe, it, expect } from "vitest";
import { AlertBook, type AlertEvent } from "../../src/alerts/lifecycle.js";
import { RuleEvaluator, type DeviceFacts, type ReadingBatch } from "../../src/alerts/evaluator.js";
import { parseAlertConfig } from "../../src/alerts/rules.js";
import { HEALTH } from "../../src/analytics/kernels.js";

const CRITICAL = 2;
const TAGS: Record<string, Record<string, string>> = { "press-1": { zone: "a", type: "press" }, "press-2": { zone: "b", type: "press" }, "pump-1": { zone: "a", type: "pump" } };
const facts: DeviceFacts = { tags: (d) => TAGS[d], hasCriticalLimits: (d, c) => d === "pump-1" && c === "pressure", criticalChannels: new Set(["pressure"]), criticalFlag: CRITICAL };

function setup(rules: unknown[], registryCritical = false) {
  const events: AlertEvent[] = [];
  const book = new AlertBook((e) => events.push(e));
  const config = parseAlertConfig({ rules, registryCritical });
  const evaluator = new RuleEvaluator(config.rules, config.registryCritical, facts, book, 0);
  return { events, book, evaluator, types: () => events.map((e) => `${e.type} ${e.alert.rule} ${e.alert.device}`) };
}

/** One reading per entry: [device, channel, seconds, value, flags?]. */
function batch(rows: [string, string, number, number, number?][]): ReadingBatch {
  const devices = [...new Set(rows.map((r) => r[0]))];
  const channels = [...new Set(rows.map((r) => r[1]))];
  return {
    devices,
    channels,
    device: Uint32Array.from(rows, (r) => devices.indexOf(r[0])),
    channel: Uint32Array.from(rows, (r) => channels.indexOf(r[1])),
    timestamps: Float64Array.from(rows, (r) => r[2] * 1e6),
    values: Float64Array.from(rows, (r) => r[3]),
    flags: Uint8Array.from(rows, (r) => r[4] ?? 0),
  };
}

describe("RuleEvaluator with AlertBook", () => {
  it("fires a threshold rule after N consecutive breaches and resolves it after the clear readings", () => {
    const { evaluator, events, types } = setup([{ name: "hot", match: { channels: ["temp"] }, threshold: { above: 90 }, for: { readings: 3 }, resolve: { readings: 2 } }]);
    evaluator.observe(batch([["press-1", "temp", 1, 91], ["press-1", "temp", 2, 92], ["press-1", "temp", 3, 80]]), 10);
    expect(types()).toEqual(["pending hot press-1", "cancelled hot press-1"]);
    evaluator.observe(batch([["press-1", "temp", 4, 91], ["press-1", "temp", 5, 95], ["press-1", "temp", 6, 93], ["press-1", "temp", 7, 99]]), 20);
    expect(types().slice(2)).toEqual(["pending hot press-1", "firing hot press-1"]);
    const firing = events[3].alert;
    expect(firing).toMatchObject({ state: "firing", device: "press-1", channel: "temp", value: 93, since: 4e6, firedAt: 20 });
    evaluator.observe(batch([["press-1", "temp", 8, 80], ["press-1", "temp", 9, 97], ["press-1", "temp", 10, 80], ["press-1", "temp", 11, 80]]), 30);
    expect(types().slice(4)).toEqual(["resolved hot press-1"]);
    expect(events[4].alert).toMatchObject({ id: firing.id, breaches: 5, worst: 99, resolvedAt: 30 });
  });

  it("keeps one alert per rule and series, however often it is breached", () => {
    const { evaluator, types, book } = setup([{ name: "hot", threshold: { above: 90 } }]);
    for (let s = 0; s < 100; s++) evaluator.observe(batch([["press-1", "temp", s, 95], ["press-2", "temp", s, 95], ["press-1", "rpm", s, 95]]), s);
    expect(types()).toEqual(["firing hot press-1", "firing hot press-2", "firing hot press-1"]);
    expect(book.open().map((a) => [a.device, a.channel, a.breaches])).toEqual([["press-1", "temp", 100], ["press-2", "temp", 100], ["press-1", "rpm", 100]]);
  });

  it("matches rules by device glob, zone, type and tags", () => {
    const { evaluator, types } = setup([
      { name: "presses", match: { types: ["press"] }, threshold: { above: 1 } },
      { name: "zone-a", match: { zones: ["a"] }, threshold: { above: 1 } },
      { name: "pumps", match: { devices: ["pump-*"] }, threshold: { above: 1 } },
      { name: "unknown", match: { tags: { zone: "z" } }, threshold: { above: 1 } },
    ]);
    evaluator.observe(batch([["press-1", "t", 1, 5], ["press-2", "t", 1, 5], ["pump-1", "t", 1, 5], ["stranger", "t", 1, 5]]), 1);
    expect(types().sort()).toEqual(["firing presses press-1", "firing presses press-2", "firing pumps pump-1", "firing zone-a press-1", "firing zone-a pump-1"]);
  });

  it("computes the rate of change per the rule's time unit, from reading timestamps", () => {
    const { evaluator, events } = setup([{ name: "ramp", rateOfChange: { above: 30, perSeconds: 60 } }]);
    // +0.4 per second is 24 per minute (clear); +1 per second is 60 per minute.
    evaluator.observe(batch([["pump-1", "p", 0, 10], ["pump-1", "p", 1, 10.4], ["pump-1", "p", 2, 10.8]]), 1);
    expect(events).toEqual([]);
    evaluator.observe(batch([["pump-1", "p", 3, 11.8], ["pump-1", "p", 2.5, 0]]), 2);
    expect(events.map((e) => [e.type, e.alert.value])).toEqual([["firing", 60]]);
    expect(events[0].alert.summary).toMatch(/changing at 60.00 per 60 s/);
  });

  it("fires absence for a silent series and resolves it when the series reports again", () => {
    const { evaluator, types, events } = setup([
      { name: "silent", absence: { seconds: 10 }, match: { channels: ["flow"] } },
      { name: "never", absence: { seconds: 10 }, match: { devices: ["pump-9"], channels: ["flow"] } },
    ]);
    evaluator.observe(batch([["pump-1", "flow", 0, 1]]), 0);
    evaluator.sweep(5e6);
    expect(events).toEqual([]);
    evaluator.sweep(11e6);
    // pump-9's flow is named exactly, so every absence rule that matches it waits for it from the start.
    expect(types().sort()).toEqual(["firing never pump-9", "firing silent pump-1", "firing silent pump-9"]);
    evaluator.observe(batch([["pump-1", "flow", 12, 1]]), 12e6);
    expect(types().slice(3)).toEqual(["resolved silent pump-1"]);
    expect(events.find((e) => e.alert.device === "pump-9")!.alert.summary).toMatch(/nothing from flow of pump-9 for 11 s/);
  });

  it("fires the registry's critical limits on the reading's critical flag", () => {
    const { evaluator, types } = setup([], true);
    evaluator.observe(batch([["pump-1", "pressure", 1, 200, CRITICAL], ["pump-1", "flow", 1, 200, 0], ["press-1", "pressure", 1, 200, 0]]), 1);
    expect(types()).toEqual(["firing registry-critical pump-1"]);
    evaluator.observe(batch([["pump-1", "pressure", 2, 50, 0]]), 2);
    expect(types()).toEqual(["firing registry-critical pump-1", "resolved registry-critical pump-1"]);
  });

  it("fires anomaly and health rules on the workers' signals", () => {
    const { evaluator, types } = setup([
      { name: "odd", anomaly: { above: 0.7 } },
      { name: "stuck", health: { findings: ["STUCK"] }, match: { zones: ["a"] } },
    ]);
    expect(evaluator.filter).toEqual({ anomalyAbove: 0.7, findings: HEALTH.STUCK });
    evaluator.signals([{ device: "press-1", channel: "t", anomaly: 0.9, findings: HEALTH.STUCK, at: 1e6 }, { device: "press-2", channel: "t", anomaly: 0.2, findings: HEALTH.STUCK, at: 1e6 }], 1);
    expect(types().sort()).toEqual(["firing odd press-1", "firing stuck press-1"]);
    evaluator.signals([{ device: "press-1", channel: "t", anomaly: 0.1, findings: 0, at: 2e6 }], 2);
    expect(types().slice(2).sort()).toEqual(["resolved odd press-1", "resolved stuck press-1"]);
  });

  it("escalates and repeats a firing alert until it is acknowledged", () => {
    const { evaluator, book, events } = setup([{ name: "hot", severity: "warning", threshold: { above: 90 }, escalate: { afterSeconds: 60, severity: "critical" }, repeatSeconds: 30 }]);
    evaluator.observe(batch([["press-1", "temp", 1, 95]]), 0);
    book.tick(29e6);
    book.tick(31e6);
    book.tick(60e6);
    expect(events.map((e) => [e.type, e.alert.severity])).toEqual([["firing", "warning"], ["repeat", "warning"], ["escalated", "critical"]]);
    book.acknowledge(events[0].alert.id, "ops", 61e6);
    book.tick(200e6);
    expect(events.slice(3).map((e) => [e.type, e.alert.acknowledged])).toEqual([["acknowledged", { by: "ops", at: 61e6 }]]);
    expect(book.open()[0].severity).toBe("critical");
  });

  it("takes up an open alert of a rule that survives a reload, and retires those whose rule is gone", () => {
    const events: AlertEvent[] = [];
    const book = new AlertBook((e) => events.push(e));
    const one = parseAlertConfig({ rules: [{ name: "hot", threshold: { above: 90 } }, { name: "cold", threshold: { below: 0 } }] });
    new RuleEvaluator(one.rules, false, facts, book, 0).observe(batch([["press-1", "t", 1, 95], ["press-2", "t", 1, -5]]), 1);
    const two = parseAlertConfig({ rules: [{ name: "hot", threshold: { above: 90 } }] });
    const again = new RuleEvaluator(two.rules, false, facts, book, 2);
    book.retire(new Set(["hot"]), 2);
    again.observe(batch([["press-1", "t", 2, 96]]), 3);
    expect(events.map((e) => `${e.type} ${e.alert.rule}`)).toEqual(["firing hot", "firing cold", "resolved cold"]);
    expect(book.open()).toMatchObject([{ rule: "hot", breaches: 2, value: 96 }]);
  });
});

// The alert file's checks: a good file gives the rules with their defaults, a bad one is refused with
// the path of the first bad field.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { parseAlertConfig, AlertConfigError } from "../../src/alerts/rules.js";
import { HEALTH } from "../../src/analytics/kernels.js";

function refusal(json: unknown): string {
  try {
    parseAlertConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(AlertConfigError);
    return (err as AlertConfigError).path;
  }
  throw new Error("accepted");
}

describe("parseAlertConfig", () => {
  it("gives each kind of rule with its defaults", () => {
    const c = parseAlertConfig({
      rules: [
        { name: "hot", severity: "critical", match: { types: ["press"], channels: ["temp*"] }, threshold: { above: 90 }, for: { readings: 3 } },
        { name: "ramp", rateOfChange: { above: 5, perSeconds: 60 } },
        { name: "silent", absence: { seconds: 30 }, match: { devices: ["pump-1"], channels: ["flow"] } },
        { name: "odd", anomaly: { above: 0.7 }, escalate: { afterSeconds: 300 } },
        { name: "sick", health: { findings: ["STUCK", "DRIFT"] }, repeatSeconds: 600 },
      ],
      sinks: { webhooks: [{ url: "http://127.0.0.1:9/hook" }], redisStream: { key: "alerts" } },
    });
    expect(c.registryCritical).toBe(true);
    expect(c.rules[0]).toMatchObject({ severity: "critical", forReadings: 3, forSeconds: 0, resolveReadings: 1, repeatSeconds: 0, condition: { kind: "threshold", above: 90 } });
    expect(c.rules[1]).toMatchObject({ severity: "warning", condition: { kind: "rate", above: 5, perSeconds: 60 } });
    expect(c.rules[3].escalate).toEqual({ afterSeconds: 300, severity: "critical" });
    expect(c.rules[4].condition).toMatchObject({ kind: "health", mask: HEALTH.STUCK | HEALTH.DRIFT });
    expect(c.webhooks[0]).toMatchObject({ maxAttempts: 8, timeoutSeconds: 5, events: ["firing", "resolved", "escalated", "repeat", "acknowledged"] });
    expect(c.redisStream).toMatchObject({ key: "alerts", maxLen: 100_000 });
  });

  it("names the first bad field of a refused file", () => {
    expect(refusal({ rules: [{ name: "a" }] })).toBe("rules[0]");
    expect(refusal({ rules: [{ name: "a", threshold: {} }] })).toBe("rules[0].threshold");
    expect(refusal({ rules: [{ name: "a", threshold: { above: "90" } }] })).toBe("rules[0].threshold.above");
    expect(refusal({ rules: [{ name: "a", threshold: { above: 1 }, anomaly: { above: 0.5 } }] })).toBe("rules[0]");
    expect(refusal({ rules: [{ name: "a", anomaly: { above: 2 } }] })).toBe("rules[0].anomaly.above");
    expect(refusal({ rules: [{ name: "a", health: { findings: ["SAD"] } }] })).toBe("rules[0].health.findings");
    expect(refusal({ rules: [{ name: "a", threshold: { above: 1 }, for: { readings: 0 } }] })).toBe("rules[0].for.readings");
    expect(refusal({ rules: [{ name: "a", absence: { seconds: 5 }, for: { readings: 2 } }] })).toBe("rules[0].for");
    expect(refusal({ rules: [{ name: "a", threshold: { above: 1 }, severity: "critical", escalate: { afterSeconds: 5, severity: "warning" } }] })).toBe("rules[0].escalate.severity");
    expect(refusal({ rules: [{ name: "a", threshold: { above: 1 }, colour: "red" }] })).toBe("rules[0].colour");
    expect(refusal({ rules: [{ name: "a", threshold: { above: 1 } }, { name: "a", threshold: { below: 1 } }] })).toBe("rules[1].name");
    expect(refusal({ rules: [{ name: "registry-critical", threshold: { above: 1 } }] })).toBe("rules[0].name");
    expect(refusal({ sinks: { webhooks: [{ url: "ftp://x" }] } })).toBe("sinks.webhooks[0].url");
    expect(refusal({ sinks: { webhooks: [{ url: "http://x", events: ["fired"] }] } })).toBe("sinks.webhooks[0].events");
    expect(refusal([])).toBe("alerts");
  });

  it("accepts the example file the README points to", () => {
    const example = JSON.parse(readFileSync(new URL("../../docs/examples/alerts.json", import.meta.url), "utf8"));
    expect(parseAlertConfig(example).rules.map((r) => r.condition.kind)).toEqual(["threshold", "rate", "absence", "anomaly", "health"]);
  });
});

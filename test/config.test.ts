// The configuration's analytics switch, alert rules file and worker priority: defaults, environment, checks.
import { describe, it, expect } from "vitest";
import { loadConfig, ConfigError } from "../src/config.js";

describe("the configuration", () => {
  it("runs analytics by default and turns them off with IOTPIPE_ANALYTICS=off", () => {
    expect(loadConfig(undefined, {}).analytics).toBe(true);
    expect(loadConfig(undefined, { IOTPIPE_ANALYTICS: "off" }).analytics).toBe(false);
    expect(loadConfig(undefined, { IOTPIPE_ANALYTICS: "on" }).analytics).toBe(true);
  });

  it("refuses an analytics setting that is not true or false", () => {
    expect(() => loadConfig(undefined, {}, { analytics: "yes" as unknown as boolean })).toThrow(ConfigError);
  });

  it("takes the alert rules file from IOTPIPE_ALERTS_FILE and lowers worker priority by default", () => {
    expect(loadConfig(undefined, { IOTPIPE_ALERTS_FILE: "/etc/iotpipe/alerts.json" }).alertsFile).toBe("/etc/iotpipe/alerts.json");
    expect(loadConfig(undefined, {}).workerNice).toBe(10);
    expect(() => loadConfig(undefined, {}, { workerNice: 25 })).toThrow(/workerNice/);
    expect(() => loadConfig(undefined, {}, { alertsFile: "" })).toThrow(/alertsFile/);
  });
});

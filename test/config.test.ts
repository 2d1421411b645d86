// The configuration's analytics switch: on by default, off from the environment, checked.
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
});

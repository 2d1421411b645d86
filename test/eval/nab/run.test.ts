// `iotpipe nab` end to end: real corpus files in, NAB's results layout out, and the detector's score on
// the shared NAB corpus held at or above the goal.
import { describe, it, expect, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runNab } from "../../../src/eval/nab/run.js";
import { SHARED_DATA } from "../../support/datasets.js";

const nabDir = fileURLToPath(new URL("nab/", SHARED_DATA));
const cli = fileURLToPath(new URL("../../../dist/cli/iotpipe.js", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "iotpipe-nab-"));
  dirs.push(d);
  return d;
}

/** A corpus of a few real NAB files with their labels, one of them unlabelled. */
function smallCorpus(): string {
  const dir = scratch();
  const labels = JSON.parse(readFileSync(join(nabDir, "labels_combined_windows.json"), "utf8"));
  const files = ["realKnownCause/nyc_taxi.csv", "artificialWithAnomaly/art_daily_jumpsup.csv", "realAdExchange/exchange-2_cpc_results.csv"];
  const kept: Record<string, unknown> = {};
  for (const f of files) {
    mkdirSync(join(dir, f.split("/")[0]), { recursive: true });
    copyFileSync(join(nabDir, f), join(dir, f));
    if (f !== files[2]) kept[f] = labels[f];
  }
  writeFileSync(join(dir, "labels_combined_windows.json"), JSON.stringify(kept));
  return dir;
}

describe("iotpipe nab", () => {
  it("writes one results file per series in NAB's layout, with scores in [0, 1] and labels from the windows", () => {
    const data = smallCorpus();
    const out = scratch();
    const report = JSON.parse(execFileSync(process.execPath, [cli, "nab", data, "--out", out, "--json"], { encoding: "utf8" }));
    expect(report.files).toBe(3);
    const taxi = readFileSync(join(out, "realKnownCause", "iotpipe_nyc_taxi.csv"), "utf8").trim().split("\n");
    const source = readFileSync(join(data, "realKnownCause", "nyc_taxi.csv"), "utf8").trim().split("\n");
    expect(taxi[0]).toBe("timestamp,value,anomaly_score,label");
    expect(taxi.length).toBe(source.length);
    const rows = taxi.slice(1).map((l) => l.split(","));
    expect(rows.map((r) => r[0])).toEqual(source.slice(1).map((l) => l.split(",")[0]));
    for (const r of rows) {
      const score = Number(r[2]);
      expect(score >= 0 && score <= 1).toBe(true);
    }
    expect(rows.filter((r) => r[3] === "1").length).toBeGreaterThan(0);
    const unlabelled = readFileSync(join(out, "realAdExchange", "iotpipe_exchange-2_cpc_results.csv"), "utf8").trim().split("\n").slice(1);
    expect(unlabelled.every((l) => l.endsWith(",0"))).toBe(true);
    const final = JSON.parse(readFileSync(join(out, "final_results.json"), "utf8"));
    expect(Object.keys(final.iotpipe).sort()).toEqual(["reward_low_FN_rate", "reward_low_FP_rate", "standard"]);
    expect(existsSync(join(out, "iotpipe_thresholds.json"))).toBe(true);
  });

  it("scores at least 70 on NAB's standard profile over the shared corpus", async () => {
    const report = await runNab(nabDir, scratch());
    const standard = report.results.find((r) => r.profile === "standard")!;
    expect(report.files).toBe(49);
    expect(standard.normalized).toBeGreaterThanOrEqual(70);
  });

  it("says what is wrong with a folder that is not a NAB corpus", () => {
    const empty = scratch();
    expect(() => execFileSync(process.execPath, [cli, "nab", empty, "--out", scratch()], { encoding: "utf8", stdio: "pipe" })).toThrow(/no category folders/);
  });
});

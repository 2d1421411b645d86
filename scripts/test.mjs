// Runs the whole vitest suite and ends with the plain "N passed, N failed, N skipped" line CI reads.
// Exits with vitest's own status.
import { spawnSync } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const report = join(root, ".test-report", "vitest.json");
mkdirSync(dirname(report), { recursive: true });
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const run = spawnSync(
  process.execPath,
  [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  // A file can fail outside its tests (a beforeAll that throws, e.g. a server missing under CI=true).
  failed = result.numFailedTests || result.numFailedTestSuites;
  skipped = result.numPendingTests + result.numTodoTests;
} catch (err) {
  console.error(`could not read the test report ${report}: ${err.message}`);
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status ?? 1);

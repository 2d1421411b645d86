// Worker threads run the compiled JavaScript in dist/ (Node 20 cannot start a .ts worker): compile
// assembly/ and src/ once before the suite, so tests always exercise the sources they sit beside.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}

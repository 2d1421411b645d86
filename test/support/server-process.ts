// Runs `iotpipe serve` as a child process (the built dist/), as an operator would, and reports its port.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  /** Resident memory of the server process (bytes). */
  rss(): number;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGINT (flush and exit), and wait for the exit. */
  stop(): Promise<number | null>;
}

const cli = fileURLToPath(new URL("../../dist/cli/iotpipe.js", import.meta.url));

export function startServerProcess(dataDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [cli, "serve", "--port", "0", "--data", dataDir, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.stderr!.on("data", (d) => (output += d));
    child.stdout!.on("data", (d) => {
      output += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          child,
          rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) * 1024,
          kill: async () => {
            child.kill("SIGKILL");
            await exited;
          },
          stop: async () => {
            child.kill("SIGINT");
            return exited;
          },
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

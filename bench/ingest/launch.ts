// Starts a child process with a raised open-files limit: `bash -c 'ulimit -n N; exec …'`, so the
// child is the same process (same pid) that bash was, and /proc/<pid> describes it.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** Spawns `command args…` with `ulimit -n fdLimit` (when given; a limit above the hard one is lowered to it). */
export function spawnWithFdLimit(command: string, args: string[], fdLimit: number | undefined, options: SpawnOptions): ChildProcess {
  if (fdLimit === undefined) return spawn(command, args, options);
  const script = `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return spawn("bash", ["-c", script, command, ...args], options);
}

/** Waits for a child to exit (SIGKILL after `ms`). */
export function exitOf(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

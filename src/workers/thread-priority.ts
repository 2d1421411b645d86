// Lowers the calling thread's CPU priority (Linux nice, per thread): the archive workers yield to the
// thread that reads sockets and evaluates alerts when the cores are contended, so a critical
// reading is read and judged on time while the archive backlog waits. Raising it again needs
// privileges, so only lowering is offered; where threads have no id of their own (not Linux) it is a no-op.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Sets this thread's nice value to `nice` (0–19); returns whether it took effect. */
export function lowerThreadPriority(nice: number): boolean {
  if (nice <= 0) return false;
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid)) return false;
    setPriority(tid, Math.min(19, nice));
    return true;
  } catch {
    return false;
  }
}

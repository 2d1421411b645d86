// What Linux says about a process: CPU time (utime + stime of every thread, from /proc/<pid>/stat),
// resident memory now and at its peak (/proc/<pid>/status), open descriptors; and the fd limits.
import { readFileSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ); 100 on every Linux this runs on. */
const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  return Number(r.stdout?.trim()) || 100;
})();

/** CPU seconds the process has used (user + system, all threads). */
export function cpuSeconds(pid: number): number {
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

function statusField(pid: number, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Resident memory now (bytes). */
export function rssBytes(pid: number): number {
  return statusField(pid, "VmRSS");
}

/** Peak resident memory (bytes). */
export function peakRssBytes(pid: number): number {
  return statusField(pid, "VmHWM");
}

export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** CPU use of a process between two samples, in cores. */
export class CpuMeter {
  readonly #pid: number;
  readonly #cpu: number;
  readonly #at: number;

  constructor(pid: number) {
    this.#pid = pid;
    this.#cpu = cpuSeconds(pid);
    this.#at = performance.now();
  }

  /** Cores used since construction (CPU seconds / wall seconds). */
  cores(): number {
    return (cpuSeconds(this.#pid) - this.#cpu) / ((performance.now() - this.#at) / 1000);
  }
}

/** The hard limit on open files for processes this one starts (`ulimit -Hn`). */
export function hardFdLimit(): number {
  const r = spawnSync("bash", ["-c", "ulimit -Hn"], { encoding: "utf8" });
  const text = r.stdout?.trim();
  return text === "unlimited" ? 1 << 20 : Number(text) || 1024;
}

function machineBusySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - cpu[3] - cpu[4]) / CLK_TCK;
}

function cpuPressureMicros(): number {
  try {
    const m = /^some .* total=(\d+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The whole machine over a window: cores busy (all processes, /proc/stat) and the share of time some
 * runnable task waited for a CPU (/proc/pressure/cpu). On a shared box these say how much of a
 * result is this bench and how much is other people's work.
 */
export class MachineMeter {
  readonly #busy = machineBusySeconds();
  readonly #pressure = cpuPressureMicros();
  readonly #at = performance.now();

  read(): { busyCores: number; cpuPressurePct: number | null } {
    const seconds = (performance.now() - this.#at) / 1000;
    const pressure = (cpuPressureMicros() - this.#pressure) / 1e6 / seconds;
    return { busyCores: (machineBusySeconds() - this.#busy) / seconds, cpuPressurePct: Number.isFinite(pressure) ? pressure * 100 : null };
  }
}

function threadSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      out.set(Number(tid), cpuSecondsOf(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended
    }
  }
  return out;
}

function cpuSecondsOf(statFile: string): number {
  const stat = readFileSync(statFile, "utf8");
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis; utime
  // and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * CPU per thread of a process over a window (/proc/<pid>/task/<tid>/stat): every thread of Node is
 * called "node", but the main thread's tid is the pid, and a busy worker thread stands out.
 */
export class ThreadMeter {
  readonly #pid: number;
  readonly #start: Map<number, number>;
  readonly #at = performance.now();

  constructor(pid: number) {
    this.#pid = pid;
    this.#start = threadSeconds(pid);
  }

  /** The busiest threads: "main" or "thread <n>" (in order of tid) → cores, at most `top`. */
  read(top = 4): Record<string, number> {
    const seconds = (performance.now() - this.#at) / 1000;
    const end = threadSeconds(this.#pid);
    const tids = [...end.keys()].sort((a, b) => a - b);
    const used = tids.map((tid, i) => [tid === this.#pid ? "main" : `thread ${i}`, (end.get(tid)! - (this.#start.get(tid) ?? 0)) / seconds] as const);
    used.sort((a, b) => b[1] - a[1]);
    return Object.fromEntries(used.slice(0, top).map(([name, cores]) => [name, Number(cores.toFixed(2))]));
  }
}

/** Bytes the process has caused to be written to storage (/proc/<pid>/io write_bytes); NaN if unreadable. */
export function storageWriteBytes(pid: number): number {
  try {
    const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

// The process's own metrics in Prometheus text, under the names of prom-client's defaults (what a
// Node.js dashboard expects): CPU, resident memory, open files, start time, and the serving thread's heap.
// Open files are counted off the serving thread: at the connection limit /proc/self/fd lists ~20 000
// entries, and reading it there held every socket for 21–44 ms per scrape.
import { readdir } from "node:fs/promises";

const startTimeSeconds = Math.floor(Date.now() / 1000 - process.uptime());

/** One counter or gauge in Prometheus text (no trailing newline). */
export function metric(name: string, type: "counter" | "gauge", help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
}

/** Open file descriptors, where the system lists them (/proc on Linux); undefined elsewhere. */
async function openFds(): Promise<number | undefined> {
  try {
    return (await readdir("/proc/self/fd")).length;
  } catch {
    return undefined;
  }
}

/** The process metrics block (no trailing newline). */
export async function renderProcessMetrics(): Promise<string> {
  const fds = await openFds();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return [
    metric("process_cpu_user_seconds_total", "counter", "User CPU time of the process (every thread), seconds.", cpu.user / 1e6),
    metric("process_cpu_system_seconds_total", "counter", "System CPU time of the process (every thread), seconds.", cpu.system / 1e6),
    metric("process_cpu_seconds_total", "counter", "User and system CPU time of the process (every thread), seconds.", (cpu.user + cpu.system) / 1e6),
    metric("process_resident_memory_bytes", "gauge", "Resident memory of the process (every thread's heap, WebAssembly memories and buffers included), bytes.", memory.rss),
    metric("process_start_time_seconds", "gauge", "When the process started, seconds since the epoch.", startTimeSeconds),
    ...(fds === undefined ? [] : [metric("process_open_fds", "gauge", "Open file descriptors (connections included).", fds)]),
    metric("nodejs_heap_size_total_bytes", "gauge", "JavaScript heap of the serving thread (worker threads have their own), bytes.", memory.heapTotal),
    metric("nodejs_heap_size_used_bytes", "gauge", "JavaScript heap in use on the serving thread, bytes.", memory.heapUsed),
    metric("nodejs_external_memory_bytes", "gauge", "Memory of the serving thread's buffers and array buffers outside its heap, bytes.", memory.external),
  ].join("\n");
}

// How far a process that archives lets its heap grow past what a full collection left alive. An
// archive worker holds ~1 KiB of heap per series (names, heads, buffers, analytics rows: 35 MB at
// 32 000 series) that lives as long as the process, and promotes a few MB a second. V8 sizes the next
// limit by its own measure of collection speed, which kept these heaps near the low end of its range
// (1.1–1.3 × live): a mark-compact every 0.1–1.5 s per worker freeing 2–4 MB, each marking the whole
// 35 MB again on a second thread (100–190 ms of CPU) and pausing its worker 8–46 ms. Four times the
// live heap (V8's own upper factor) makes them a few times rarer. In five alternating pairs of gateway
// runs at 700 k readings/s offered, ack p99 was 65–158 ms (median 72) against 125–304 (median 209),
// the server 0–0.14 cores lighter, for 25–45 MB more RSS (700 MB).
import { setFlagsFromString } from "node:v8";

/** Sets the heap growth factor for this process and its worker threads; call before any worker starts. */
export function growHeapsForArchiving(): void {
  setFlagsFromString("--heap-growing-percent=300");
}

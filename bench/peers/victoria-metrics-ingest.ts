// VictoriaMetrics (single node, the Debian package's binary) as the ingest bench's peer: started on
// 127.0.0.1 with a temporary -storageDataPath, fed Influx line protocol on /write by the same load
// generators as iotpipe. Exposes its pid (CPU and memory come from /proc) and its row counters.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../free-port.js";

export { findVictoriaMetrics, versionOf } from "./victoria-metrics.js";


export interface VictoriaIngest {
  pid: number;
  /** Base URL, http://127.0.0.1:<port>. */
  url: string;
  /** Writes rows buffered in memory to disk parts; resolves when done. */
  forceFlush(): Promise<void>;
  /** Rows VictoriaMetrics added to its storage (vm_rows_added_to_storage_total). */
  rowsStored(): Promise<number>;
  /** SIGINT, wait, remove the data directory. */
  stop(): Promise<void>;
}

export async function startVictoriaIngest(binary: string): Promise<VictoriaIngest> {
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-ingest-vm-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, "storage")}`, "-retentionPeriod=100y", "-loggerLevel=ERROR"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      const timer = setTimeout(kill, 60_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`victoria-metrics exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`victoria-metrics did not become healthy in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid!,
    url,
    async forceFlush() {
      const res = await fetch(`${url}/internal/force_flush`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`/internal/force_flush answered ${res.status}`);
    },
    async rowsStored() {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        if (line.startsWith("vm_rows_added_to_storage_total")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      return sum;
    },
    stop,
  };
}

// Child process of the archive crash test: opens the archive and appends the batches of a workload the
// test prepared, a burst of appends at a time (issued together, so group commit syncs several records
// at once and a checkpoint can switch WAL files mid-burst) with a pause after each, until it is killed.
// Plain JavaScript over the compiled dist/ (vitest's global setup builds it from src/ before every
// run): no TypeScript loader, so a start costs a quarter of a second rather than most of a second.
//
// Usage: node archive-crash-writer.mjs <archive dir> <workload.json> <log file>
// Workload: { options, devices, channels, bursts: number[], pauses: number[] (ms),
//             batches: [{ number, device: number[], channel: number[], timestamps: number[], values: number[] }] }
//
// The log gets "opened <ms> <WAL records replayed> <WAL tail bytes dropped>", then per batch "sent <b>"
// before append() is called and "ack <b> <checkpoints so far>" once it resolves. Lines are written
// with fs.writeSync: one is in the kernel when the call returns, so SIGKILL cannot lose it (fsync
// would only matter if the machine went down). stdout carries only "ready", for the test's timer.
import { openSync, readFileSync, writeSync } from "node:fs";
import { Archive } from "../../dist/index.js";

const [dir, workloadFile, logFile] = process.argv.slice(2);
if (!dir || !workloadFile || !logFile) {
  process.stderr.write("usage: archive-crash-writer.mjs <archive dir> <workload.json> <log file>\n");
  process.exit(2);
}
const workload = JSON.parse(readFileSync(workloadFile, "utf8"));
const log = openSync(logFile, "a");
const line = (text) => writeSync(log, `${text}\n`);

// The test kills us within a second; if it died instead, do not linger.
setTimeout(() => {
  process.stderr.write("archive-crash-writer: not killed within 30 s\n");
  process.exit(3);
}, 30_000).unref();

async function send(batch) {
  const columns = {
    devices: workload.devices,
    channels: workload.channels,
    device: Uint32Array.from(batch.device),
    channel: Uint32Array.from(batch.channel),
    timestamps: Float64Array.from(batch.timestamps),
    values: Float64Array.from(batch.values),
  };
  line(`sent ${batch.number}`);
  await archive.append(columns);
  line(`ack ${batch.number} ${archive.stats.checkpoints}`);
}

process.stdout.write("ready\n");
const started = performance.now();
const archive = await Archive.open(dir, workload.options);
const stats = archive.stats;
line(`opened ${Math.round(performance.now() - started)} ${stats.walRecordsReplayed} ${stats.walTailBytesDropped}`);

try {
  const { batches, bursts, pauses } = workload;
  for (let at = 0, k = 0; at < batches.length; k++) {
    const burst = batches.slice(at, at + bursts[k % bursts.length]);
    at += burst.length;
    await Promise.all(burst.map(send));
    if (stats.lastBackgroundError) throw new Error(`background checkpoint failed: ${stats.lastBackgroundError}`);
    await new Promise((wake) => setTimeout(wake, pauses[k % pauses.length]));
  }
  // Out of batches before the kill: wait for it without touching the archive.
  line("exhausted");
  setInterval(() => undefined, 1000);
} catch (err) {
  process.stderr.write(`archive-crash-writer: ${err?.stack ?? String(err)}\n`);
  process.exit(1);
}

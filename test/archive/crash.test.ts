// Kill -9 crash test of the archive. A child process (test/support/archive-crash-writer.mjs, over the
// dist/ that vitest's global setup compiles from src/) appends bursts of batches and is SIGKILLed at a
// seeded random moment, 24 rounds over one archive; every third round a second writer, started on the
// crashed archive, is killed in or just after its recovery. After each round the archive is reopened
// here and must hold every acknowledged reading exactly once and nothing that was never sent, and
// verify clean: verify() and the segment indexes agree with the manifest, no orphan segment, stale WAL
// or temporary file. Every fourth round the archive is then compacted and checked again.
// Reproduce a failure with ARCHIVE_CRASH_SEED=<seed> npx vitest run test/archive/crash.test.ts.
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Archive } from "../../src/archive/archive.js";
import { createCodec, type Codec } from "../../src/codec/index.js";
import { readSegmentIndex } from "../../src/archive/segment-read.js";
import { bucketOf } from "../../src/archive/series-key.js";
import type { Manifest } from "../../src/archive/manifest.js";
import {
  CRASH_ARCHIVE_OPTIONS,
  DEVICES,
  CHANNELS,
  SLOT,
  SLOTS_PER_BATCH,
  batchReadings,
  batchColumns,
  rng,
  timeOf,
  valueAt,
} from "../support/archive-crash-data.js";

const SEED = Number(process.env.ARCHIVE_CRASH_SEED ?? 20_240_301);
const ROUNDS = 24;
/** The writer issues bursts of up to this many appends at once. */
const BURST = 6;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRITER = join(ROOT, "test/support/archive-crash-writer.mjs");
/** Batches handed to each writer: far more than it can append before its kill (its pauses cap it). */
const WORKLOAD_BATCHES = 300;
/** The parent compacts the archive after checking every this many rounds. */
const COMPACT_EVERY = 4;
/** A writer pid no process has: temporary files carry their writer's pid. */
const DEAD_PID = 4_194_304;
const SENT = 1;
const ACKED = 2;

/** What a writer logged before its kill. */
interface WriterRun {
  delay: number;
  /** ms from spawn until the child was ready to open the archive. */
  startup: number;
  sent: number[];
  acked: number[];
  /** Checkpoints the child had finished by its last acknowledgement. */
  checkpoints: number;
  /** The child appended its whole workload before the kill. */
  exhausted: boolean;
  /** The child's Archive.open finished (ms it took, WAL records replayed, torn WAL bytes dropped). */
  opened: { ms: number; replayed: number; tailBytes: number } | undefined;
}

/** Per series (device × channel), per slot: SENT | ACKED bits, growing with the batches. */
class Ledger {
  slots: Uint8Array[] = Array.from({ length: DEVICES.length * CHANNELS.length }, () => new Uint8Array(0));
  readonly sent = new Set<number>();
  readonly acked = new Set<number>();

  mark(batch: number, bit: number): void {
    const set = bit === ACKED ? this.acked : this.sent;
    if (set.has(batch)) return;
    set.add(batch);
    for (const r of batchReadings(SEED, batch)) {
      const series = r.device * CHANNELS.length + r.channel;
      let s = this.slots[series];
      if (r.slot >= s.length) {
        const grown = new Uint8Array(Math.max(r.slot + 1, s.length * 2, 4096));
        grown.set(s);
        this.slots[series] = s = grown;
      }
      s[r.slot] |= bit === ACKED ? SENT | ACKED : SENT;
    }
  }

  /** The first batch never acknowledged: the next child starts there (resending what may be stored). */
  firstUnacked(): number {
    let b = 0;
    while (this.acked.has(b)) b++;
    return b;
  }

  /** One past the highest slot any sent batch touched. */
  get end(): number {
    let end = 0;
    for (const s of this.slots) {
      for (let k = s.length - 1; k >= end; k--) {
        if (s[k] !== 0) {
          end = k + 1;
          break;
        }
      }
    }
    return end;
  }
}

function parseLog(file: string, run: WriterRun): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, "utf8").split("\n");
  lines.pop(); // empty, or a line the kill cut short
  for (const line of lines) {
    const [word, ...rest] = line.split(" ");
    const n = rest.map(Number);
    if (word === "sent") {
      run.sent.push(n[0]);
    } else if (word === "ack") {
      run.acked.push(n[0]);
      run.checkpoints = Math.max(run.checkpoints, n[1]);
    } else if (word === "opened") {
      run.opened = { ms: n[0], replayed: n[1], tailBytes: n[2] };
    } else if (word === "exhausted") {
      run.exhausted = true;
    } else {
      throw new Error(`unexpected line in ${file}: ${JSON.stringify(line)}`);
    }
  }
}

/** The writer's workload from batch `start` on: the batches, burst sizes and pauses (ms) after each burst. */
function writeWorkload(file: string, start: number, random: () => number): void {
  const batches = [];
  for (let b = start; b < start + WORKLOAD_BATCHES; b++) {
    const c = batchColumns(SEED, b);
    batches.push({
      number: b,
      device: Array.from(c.device),
      channel: Array.from(c.channel),
      timestamps: Array.from(c.timestamps),
      values: Array.from(c.values),
    });
  }
  const bursts = Array.from({ length: 64 }, () => 1 + (random() % BURST));
  const pauses = Array.from({ length: 64 }, () => 5 + (random() % 40));
  writeFileSync(file, JSON.stringify({ options: CRASH_ARCHIVE_OPTIONS, devices: DEVICES, channels: CHANNELS, bursts, pauses, batches }));
}

/** Runs the writer on `workload` and SIGKILLs it `delay` ms after it is ready to open the archive. */
function runWriter(dir: string, workload: string, log: string, delay: number): Promise<WriterRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRITER, dir, workload, log], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killTimer: NodeJS.Timeout | undefined;
    const spawned = performance.now();
    let startup = 0;
    const startupTimer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killTimer === undefined && stdout.includes("ready\n")) {
        clearTimeout(startupTimer);
        startup = performance.now() - spawned;
        killTimer = setTimeout(() => child.kill("SIGKILL"), delay);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(startupTimer);
      clearTimeout(killTimer);
      if (killTimer === undefined) return fail(new Error(`the writer never got ready (exit ${code ?? signal}): ${stderr}`));
      if (signal !== "SIGKILL") return fail(new Error(`the writer ended by itself before the kill (exit ${code ?? signal}): ${stderr}`));
      const run: WriterRun = { delay, startup: Math.round(startup), sent: [], acked: [], checkpoints: 0, exhausted: false, opened: undefined };
      parseLog(log, run);
      done(run);
    });
  });
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** The archive's files against its committed manifest: nothing temporary, orphaned, missing or stale. */
function fileProblems(dir: string): string[] {
  const problems: string[] = [];
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const live = new Set(manifest.segments.map((s) => s.file));
  for (const path of walk(dir)) {
    const file = relative(dir, path);
    const name = file.split("/").pop()!;
    if (name.endsWith(".tmp")) problems.push(`temporary file left behind: ${file}`);
    else if (file.startsWith("data/") && name.endsWith(".seg") && !live.has(file)) problems.push(`orphan segment: ${file}`);
    else if (file.startsWith("wal/")) {
      const m = /^(\d{10})\.wal$/.exec(name);
      if (!m) problems.push(`unexpected file in wal/: ${file}`);
      else if (Number(m[1]) < manifest.walCheckpoint) problems.push(`stale WAL ${file} (checkpoint is at ${manifest.walCheckpoint})`);
    } else if (!file.startsWith("data/") && file !== "manifest.json" && file !== "registry.json") problems.push(`unexpected file: ${file}`);
  }
  for (const s of manifest.segments) if (!existsSync(join(dir, s.file))) problems.push(`manifest names a missing segment: ${s.file}`);
  if (manifest.quarantine.length > 0) problems.push(`quarantined blocks: ${JSON.stringify(manifest.quarantine)}`);
  return problems;
}

/**
 * Every live segment's index (footer, checksum) read and held against its manifest entry: size, block
 * and point counts, series bucket, time bounds. verify() decodes the blocks themselves.
 */
async function segmentProblems(dir: string, codec: Codec): Promise<string[]> {
  const problems: string[] = [];
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  for (const s of manifest.segments) {
    const path = join(dir, s.file);
    try {
      const size = statSync(path).size;
      if (size !== s.bytes) problems.push(`${s.file}: ${size} bytes, the manifest says ${s.bytes}`);
      const index = await readSegmentIndex(path);
      if (index.length !== s.blocks) problems.push(`${s.file}: ${index.length} blocks, the manifest says ${s.blocks}`);
      let points = 0;
      for (const b of index) {
        const { count, tMin, tMax } = codec.summary(b.header, b.length);
        points += count;
        const where = `${s.file} block at ${b.offset} (${JSON.stringify(b.key)})`;
        const bucket = bucketOf(b.key, manifest.layout.buckets);
        if (bucket !== s.bucket) problems.push(`${where}: a series of bucket ${bucket} in bucket ${s.bucket}`);
        if (tMin > tMax || tMin < s.minTime || tMax > s.maxTime || tMin < s.windowStart || tMax >= s.windowEnd) {
          problems.push(`${where}: [${tMin}, ${tMax}] lies outside [${s.minTime}, ${s.maxTime}] or window ${s.window}`);
        }
      }
      if (points !== s.points) problems.push(`${s.file}: ${points} points, the manifest says ${s.points}`);
    } catch (err) {
      problems.push(`${s.file}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Exactly once, read back through queries: a 1 µs step lists every stored timestamp of a series with
 * its count (1: overlaps resolved), min and max (the expected value); every acknowledged slot must be
 * listed and every listed one must have been sent. Per-minute counts and sums (answered from block
 * headers where a block stands alone) must agree with that list.
 */
async function dataProblems(archive: Archive, ledger: Ledger): Promise<{ problems: string[]; stored: number }> {
  const problems: string[] = [];
  const end = ledger.end;
  // All of time, so a reading stored under a wrong timestamp shows up too.
  const from = 0;
  const to = Number.MAX_SAFE_INTEGER;
  let stored = 0;
  for (let c = 0; c < CHANNELS.length; c++) {
    const channel = CHANNELS[c];
    const fine = await archive.query({ channel, from, to, step: 1, groupBy: "device", aggregates: ["count", "min", "max"] });
    const minutes = await archive.query({ channel, from, to, step: "1m", groupBy: "device", aggregates: ["count", "sum"] });
    for (let d = 0; d < DEVICES.length; d++) {
      const device = DEVICES[d];
      const series = `${device}/${channel}`;
      const marks = ledger.slots[d * CHANNELS.length + c];
      const seen = new Uint8Array(end);
      const perMinute = new Map<number, { count: number; sum: number }>();
      let count = 0;
      let sum = 0;
      const rows = fine.groups.find((g) => g.key.device === device)?.rows ?? [];
      for (const row of rows) {
        const k = (row.start - timeOf(0)) / SLOT;
        const n = row.values.count;
        if (!Number.isInteger(k) || k < 0 || k >= end || (marks[k] & SENT) === 0) {
          problems.push(`${series}: ${n} reading(s) at ${row.start}, which no sent batch holds`);
          continue;
        }
        const want = valueAt(SEED, d, c, k);
        if (n !== 1) problems.push(`${series}: slot ${k} (t ${row.start}, batch ${Math.floor(k / SLOTS_PER_BATCH)}) counted ${n} times`);
        if (row.values.min !== want || row.values.max !== want) {
          problems.push(`${series}: slot ${k} reads min ${row.values.min} max ${row.values.max}, wrote ${want}`);
        }
        seen[k] = 1;
        count += n ?? 0;
        sum += want;
        const minute = Math.floor(row.start / 60e6) * 60e6;
        const m = perMinute.get(minute) ?? { count: 0, sum: 0 };
        m.count += n ?? 0;
        m.sum += want;
        perMinute.set(minute, m);
      }
      let lost = 0;
      for (let k = 0; k < end; k++) {
        if ((marks[k] & ACKED) !== 0 && seen[k] === 0) {
          if (lost++ < 5) problems.push(`${series}: acknowledged slot ${k} (t ${timeOf(k)}, batch ${Math.floor(k / SLOTS_PER_BATCH)} or a later one) is missing`);
        }
      }
      if (lost > 5) problems.push(`${series}: ${lost} acknowledged readings missing in all`);
      stored += count;
      const mrows = minutes.groups.find((g) => g.key.device === device)?.rows ?? [];
      if (mrows.length !== perMinute.size) problems.push(`${series}: ${mrows.length} one-minute buckets, the 1 µs buckets fill ${perMinute.size}`);
      for (const row of mrows) {
        const m = perMinute.get(row.start);
        if (!m || m.count !== row.values.count || m.sum !== row.values.sum) {
          problems.push(`${series}: minute ${row.start} counts ${row.values.count} (sum ${row.values.sum}), the 1 µs buckets ${m?.count ?? 0} (sum ${m?.sum ?? 0})`);
        }
      }
    }
  }
  return { problems, stored };
}

function describeRun(r: WriterRun): string {
  const opened = r.opened ? `opened in ${r.opened.ms} ms after replaying ${r.opened.replayed} records` : "killed before its open finished";
  const exhausted = r.exhausted ? " (its whole workload)" : "";
  return `ready after ${r.startup} ms, killed ${r.delay} ms later: ${opened}, sent ${r.sent.length}${exhausted}, acked ${r.acked.length}, ${r.checkpoints} checkpoints`;
}

describe("archive crash safety", () => {
  // What a kill inside writeFileAtomic, between writing segments and committing the manifest, or
  // between committing it and dropping old WAL files leaves behind; planted, so no timing is needed.
  it("clears what a checkpoint killed mid-write leaves behind", async () => {
    const work = mkdtempSync(join(tmpdir(), "iotpipe-archive-crash-"));
    const dir = join(work, "archive");
    let archive = await Archive.open(dir, CRASH_ARCHIVE_OPTIONS);
    for (let b = 0; b < 8; b++) await archive.append(batchColumns(SEED, b));
    await archive.close();
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    const live = manifest.segments[0];
    const [bucket, number] = [String(live.bucket).padStart(5, "0"), String(manifest.nextSegment).padStart(8, "0")];
    const planted = [
      `.manifest.json.${DEAD_PID}.tmp`,
      `.registry.json.${DEAD_PID}.tmp`,
      `data/.${live.window}.${bucket}.${number}.seg.${DEAD_PID}.tmp`,
      `data/${live.window}.${bucket}.${number}.seg`,
      `wal/${"1".padStart(10, "0")}.wal`,
    ];
    const segment = readFileSync(join(dir, live.file));
    writeFileSync(join(dir, planted[0]), readFileSync(join(dir, "manifest.json")).subarray(0, 40));
    writeFileSync(join(dir, planted[1]), readFileSync(join(dir, "registry.json")).subarray(0, 20));
    writeFileSync(join(dir, planted[2]), segment.subarray(0, segment.length >> 1));
    writeFileSync(join(dir, planted[3]), segment);
    if (manifest.walCheckpoint > 1) writeFileSync(join(dir, planted[4]), new Uint8Array(0));

    try {
      archive = await Archive.open(dir, CRASH_ARCHIVE_OPTIONS);
      try {
        expect(fileProblems(dir), `left behind after reopening (planted ${planted.join(", ")})`).toEqual([]);
        const ledger = new Ledger();
        for (let b = 0; b < 8; b++) ledger.mark(b, ACKED);
        expect((await dataProblems(archive, ledger)).problems).toEqual([]);
      } finally {
        await archive.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it(`keeps every acknowledged reading exactly once across ${ROUNDS} rounds of kill -9 (seed ${SEED})`, async () => {
    if (!existsSync(join(ROOT, "dist/index.js"))) throw new Error("dist/ is missing: the writer runs the compiled archive (npm run build)");
    const began = performance.now();
    const work = mkdtempSync(join(tmpdir(), "iotpipe-archive-crash-"));
    const dir = join(work, "archive");
    const random = rng(SEED);
    const ledger = new Ledger();
    const codec = await createCodec();
    const rounds: string[] = [];
    /** Problems by first round seen: a lost reading stays lost, so later rounds repeat it. */
    const problems = new Map<string, number>();
    let kills = 0;
    let killedInOpen = 0;
    let tailBytesDropped = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const found: string[] = [];
      try {
        // Every third round kills a second writer that starts on the crashed archive, soon after it
        // is ready, so that its kill lands in WAL replay or the recovery checkpoint.
        const runs: WriterRun[] = [];
        for (let child = 0; child < (round % 3 === 0 ? 2 : 1); child++) {
          const delay = child === 0 ? 30 + (random() % 371) : 5 + (random() % 46);
          const name = join(work, `round-${round}-${child}`);
          writeWorkload(`${name}.json`, ledger.firstUnacked(), random);
          const run = await runWriter(dir, `${name}.json`, `${name}.log`, delay);
          for (const b of run.sent) ledger.mark(b, SENT);
          for (const b of run.acked) ledger.mark(b, ACKED);
          kills++;
          if (!run.opened) killedInOpen++;
          else tailBytesDropped += run.opened.tailBytes;
          runs.push(run);
        }

        const checking = performance.now();
        const archive = await Archive.open(dir, CRASH_ARCHIVE_OPTIONS);
        let line = `round ${round}: ${runs.map(describeRun).join("; ")}`;
        try {
          const stats = archive.stats;
          if (!Number.isFinite(stats.walTailBytesDropped) || stats.walTailBytesDropped < 0) {
            found.push(`stats.walTailBytesDropped is ${stats.walTailBytesDropped}, not a byte count`);
          }
          tailBytesDropped += stats.walTailBytesDropped;
          if (stats.lastBackgroundError !== undefined) found.push(`reopening reported: ${stats.lastBackgroundError}`);
          found.push(...fileProblems(dir));
          found.push(...(await segmentProblems(dir, codec)));
          const integrity = await archive.verify();
          if (!integrity.clean) found.push(...integrity.problems.map((p) => `verify(): ${p.file}${p.offset === undefined ? "" : `@${p.offset}`}: ${p.reason}`));
          const data = await dataProblems(archive, ledger);
          found.push(...data.problems);
          line += `; reopened: replayed ${stats.walRecordsReplayed} WAL records, dropped ${stats.walTailBytesDropped} tail bytes, ${data.stored} readings stored`;
          if (round % COMPACT_EVERY === 0) {
            // As maintenance would: later writers then append over compacted partitions, and the checks
            // stay fast (a checkpoint every few batches leaves many small overlapping blocks).
            const report = await archive.compact();
            found.push(...(await dataProblems(archive, ledger)).problems.map((p) => `after compact(): ${p}`));
            line += `; compacted ${report.segmentsBefore} segments into ${report.segmentsAfter}`;
          }
        } finally {
          await archive.close();
          found.push(...fileProblems(dir));
          rounds.push(`${line}; checked in ${Math.round(performance.now() - checking)} ms`);
        }
      } catch (err) {
        throw new Error(`round ${round} of ${ROUNDS} (seed ${SEED}, archive kept in ${dir}): ${(err as Error).stack}\n${rounds.join("\n")}`);
      }
      for (const p of found) if (!problems.has(p)) problems.set(p, round);
    }
    const seconds = (performance.now() - began) / 1000;
    const report =
      `${rounds.join("\n")}\n${kills} kills (${killedInOpen} before the writer's open finished), ` +
      `${ledger.acked.size} batches acknowledged, ${tailBytesDropped} WAL tail bytes dropped in all, ${seconds.toFixed(1)} s`;
    if (problems.size > 0) {
      const list = [...problems].slice(0, 40).map(([p, round]) => `round ${round}: ${p}`);
      throw new Error(
        `${problems.size} problem(s) after kill -9 (seed ${SEED}; rerun with ARCHIVE_CRASH_SEED=${SEED}; archive kept in ${dir}):\n  ` +
          `${list.join("\n  ")}\n${report}`,
      );
    }
    console.log(report);
    rmSync(work, { recursive: true, force: true });
  }, 150_000);
});

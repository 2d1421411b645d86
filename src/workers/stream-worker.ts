// A scale-out worker (`iotpipe worker`): holds leases on a share of the partitions, opens each owned
// partition's archive, and consumes that partition's streams from the bus (lanes by priority),
// acknowledging an entry only after the archive write is durable. Partitions of a dead worker are
// taken over when its leases expire, together with the entries it read but never acknowledged.
// Each batch stored is then scored, judged and windowed (WorkerAnalytics), as in the embedded pool.
import type { Redis } from "ioredis";
import { Archive, type ArchiveOptions } from "../archive/archive.js";
import { ArchiveError } from "../archive/errors.js";
import type { Query } from "../query/query.js";
import type { PartitionPart } from "./remote-query.js";
import { idsByStream, laneStreams, totalBacklog, type Bus } from "../pipeline/bus.js";
import { mergeBatches } from "../pipeline/merge-batches.js";
import { Leases } from "./leases.js";
import { partitionDir } from "./worker-thread.js";
import { settlePartitionCount } from "./partition-count.js";
import { ARCHIVER_GROUP } from "./dispatcher.js";
import { partitionOf } from "../pipeline/router.js";
import type { DeviceRegistry } from "../ingest/devices.js";
import { WorkerAnalytics, type WorkerAnalyticsSinks } from "./worker-analytics.js";
import type { WindowSpec } from "../analytics/windows/window-spec.js";
import type { WindowResult } from "../analytics/windows/stream-windows.js";
import type { WorkerHealth } from "./remote-query.js";
import type { AppendTiming } from "./dispatcher.js";

export interface StreamWorkerOptions {
  bus: Bus;
  redis: Redis;
  dataDir: string;
  region: string;
  partitions: number;
  name: string;
  leaseTtlMs: number;
  archive?: ArchiveOptions;
  /** Device tags to record in the archive of each partition taken (and to give analytics zones). */
  registry?: DeviceRegistry;
  log?: (line: string) => void;
  /** Analytics on each stored batch: the kernels (on or off) and window definitions, and where their output goes. */
  analytics?: { kernels: boolean; windows: WindowSpec[]; sinks: Pick<WorkerAnalyticsSinks, "signals" | "windows"> };
  /** Called after every durable append, with how long it took. */
  onAppend?: (timing: AppendTiming) => void;
}

/** What a worker has done since it started, for monitoring. */
export interface StreamWorkerStats {
  /** Readings stored (durable, their entries acknowledged). */
  readings: number;
  /** Archive appends; entries ÷ appends is how many stream entries an append merged. */
  appends: number;
  entries: number;
  /** Entries another worker read and never acknowledged, taken over with its partitions. */
  claimed: number;
  /** Partitions whose lease this worker took, and lost to another (lease expired). */
  partitionsTaken: number;
  partitionsLost: number;
}

interface Owned {
  archive: Archive;
  running: boolean;
  loop: Promise<void>;
}

export class StreamWorker {
  readonly #o: StreamWorkerOptions;
  readonly #leases: Leases;
  readonly #owned = new Map<number, Owned>();
  #analytics: WorkerAnalytics | undefined;
  #timer: NodeJS.Timeout | undefined;
  #rounds: Promise<void> = Promise.resolve();
  /** Zone windows handed over before run() took any partition: stored once it has. */
  #earlyZoneWindows: WindowResult[][] | undefined = [];
  readonly stats: StreamWorkerStats = { readings: 0, appends: 0, entries: 0, claimed: 0, partitionsTaken: 0, partitionsLost: 0 };

  private constructor(o: StreamWorkerOptions) {
    this.#o = o;
    this.#leases = new Leases(o.redis, { region: o.region, partitions: o.partitions, name: o.name, ttlMs: o.leaseTtlMs });
  }

  /**
   * Prepares a worker that consumes nothing yet: set its signal filter (and hand it early zone windows)
   * now, so that the first batch it stores, perhaps of a long backlog, is already judged by them; then run().
   */
  static async create(o: StreamWorkerOptions): Promise<StreamWorker> {
    await settlePartitionCount(o.dataDir, o.partitions);
    const w = new StreamWorker(o);
    if (o.analytics && (o.analytics.kernels || o.analytics.windows.length > 0)) {
      const { sinks } = o.analytics;
      w.#analytics = await WorkerAnalytics.create(
        { analytics: o.analytics.kernels, windows: o.analytics.windows, partitionCount: o.partitions },
        {
          signals: (signals) => sinks.signals(signals),
          windows: (report) => sinks.windows(report),
          store: (p, cols) => w.#owned.get(p)?.archive.append(cols),
          log: (line) => o.log?.(line),
        },
      );
      for (const [id, spec] of o.registry?.entries() ?? []) if (spec.tags) w.#analytics.defineDevice(id, spec.tags);
    }
    return w;
  }

  /** Takes its first partitions and starts consuming them, then renews its leases every third of their TTL. */
  async run(): Promise<void> {
    await this.#round();
    const early = this.#earlyZoneWindows ?? [];
    this.#earlyZoneWindows = undefined;
    for (const results of early) this.#analytics?.storeZoneWindows(results);
    this.#timer = setInterval(() => {
      this.#rounds = this.#rounds.then(() => this.#round()).catch((err: Error) => this.#o.log?.(`lease round failed: ${err.message}`));
    }, Math.max(100, this.#o.leaseTtlMs / 3));
  }

  /** Partitions this worker owns now. */
  get partitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  async #round(): Promise<void> {
    const { gained, lost, surplus } = await this.#leases.round();
    for (const p of lost) {
      const owned = this.#owned.get(p);
      this.#owned.delete(p);
      if (owned) {
        owned.running = false;
        await owned.loop;
        await owned.archive.abandon();
      }
      this.stats.partitionsLost++;
      this.#o.log?.(`lost partition ${p}`);
    }
    for (const p of surplus) await this.#giveBack(p);
    for (const p of gained) {
      const archive = await Archive.open(partitionDir(this.#o.dataDir, p), this.#o.archive);
      for (const [id, spec] of this.#o.registry?.entries() ?? []) {
        if (spec.tags && partitionOf(id, this.#o.partitions) === p) await archive.defineDevice(id, spec.tags);
      }
      const owned: Owned = { archive, running: true, loop: Promise.resolve() };
      owned.loop = this.#consume(p, owned);
      this.#owned.set(p, owned);
      this.stats.partitionsTaken++;
      this.#o.log?.(`took partition ${p}`);
    }
  }

  async #giveBack(p: number): Promise<void> {
    const owned = this.#owned.get(p);
    if (!owned) return;
    this.#owned.delete(p);
    owned.running = false;
    await owned.loop;
    await owned.archive.close();
    await this.#leases.release(p);
  }

  async #consume(p: number, owned: Owned): Promise<void> {
    const { bus, region, name } = this.#o;
    const consumer = { group: ARCHIVER_GROUP, name };
    const streams = laneStreams(region, [p]);
    // First what the previous owner read and never acknowledged (already stored or not: last write wins).
    for (const s of streams) {
      for (;;) {
        const claimed = await bus.claim(consumer, s, 0, 256);
        if (claimed.length === 0) break;
        this.stats.claimed += claimed.length;
        await this.#store(owned, p, claimed);
      }
    }
    while (owned.running) {
      const entries = await bus.read(consumer, streams, 256, 200);
      if (entries.length > 0) await this.#store(owned, p, entries);
    }
  }

  async #store(owned: Owned, p: number, entries: Awaited<ReturnType<Bus["read"]>>): Promise<void> {
    if (!(await this.#leases.holds(p))) {
      owned.running = false;
      return;
    }
    const batch = mergeBatches(entries.map((e) => e.batch));
    const started = performance.now();
    const { syncMs } = await owned.archive.append(batch);
    const appendMs = performance.now() - started;
    for (const { stream, ids } of idsByStream(entries)) await this.#o.bus.ack(ARCHIVER_GROUP, stream, ids);
    this.stats.readings += batch.timestamps.length;
    this.stats.appends++;
    this.stats.entries += entries.length;
    this.#o.onAppend?.({ appendMs, syncMs });
    this.#analytics?.observe(batch, p);
  }

  /** Entries of the owned partitions' streams not yet stored: waiting to be read, or read and not acknowledged. */
  backlog(): Promise<number> {
    return totalBacklog(this.#o.bus, ARCHIVER_GROUP, laneStreams(this.#o.region, this.partitions));
  }

  /** Stores zone windows the ingest process completed, for the partitions owned now. */
  storeZoneWindows(results: WindowResult[]): void {
    if (this.#earlyZoneWindows) this.#earlyZoneWindows.push(results);
    else this.#analytics?.storeZoneWindows(results);
  }

  /** What the analytics know of the devices of the partitions owned now. */
  health(now: number): WorkerHealth {
    const partitions = this.partitions;
    const owned = new Set(partitions);
    const devices = (this.#analytics?.health(now) ?? []).filter((d) => owned.has(partitionOf(d.device, this.#o.partitions)));
    return { partitions, devices };
  }

  /** Sets which signals the alert rules need. */
  setSignalFilter(filter: Parameters<WorkerAnalytics["setSignalFilter"]>[0]): void {
    this.#analytics?.setSignalFilter(filter);
  }

  /**
   * The query part of each partition owned now (a partition given up meanwhile is left out: the
   * asker reports it missing rather than merge a part from an archive being closed).
   */
  async queryParts(query: Query, dryRun: boolean): Promise<PartitionPart[]> {
    const parts = await Promise.all(
      [...this.#owned].map(([partition, owned]) =>
        owned.archive.queryPart(query, dryRun).then(
          (part) => ({ partition, part }),
          (err: Error) => {
            if (err instanceof ArchiveError && err.code === "CLOSED") return undefined;
            throw err;
          },
        ),
      ),
    );
    return parts.filter((p): p is PartitionPart => p !== undefined);
  }

  /** Stops: every owned partition is checkpointed, closed and its lease released. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#rounds;
    await this.#analytics?.close();
    for (const p of [...this.#owned.keys()]) await this.#giveBack(p);
    await this.#leases.releaseAll();
  }
}

// The archive's live state, shared by the modules that act on it (ingest, checkpoint, recovery,
// queries, maintenance). Only those modules touch it; the public face is archive.ts.
import { join } from "node:path";
import type { Codec, BlockSummary } from "../codec/index.js";
import type { HeadPolicy } from "./head.js";
import { HeadClocks, SeriesHead, type DetachedPoints } from "./head.js";
import type { Manifest } from "./manifest.js";
import type { Registry } from "./registry.js";
import type { WalWriter } from "./wal.js";
import type { IndexedBlock } from "./segment-format.js";
import type { BlockSource } from "../query/source.js";
import { FileHandles } from "./file-handles.js";
import type { SeriesName } from "./series-key.js";

/** A sealed block not yet in a segment. */
export interface SealedBlock {
  key: string;
  block: Uint8Array;
  summary: BlockSummary;
  sequence: number;
  late: boolean;
}

/** A segment block with its parsed summary (and, once a query used it, its query-engine view). */
export interface CatalogBlock extends IndexedBlock {
  summary: BlockSummary;
  source?: BlockSource;
}

/** Counters an operator watches. */
export interface ArchiveStats {
  pointsAppended: number;
  latePoints: number;
  batchesAppended: number;
  checkpoints: number;
  blocksSealed: number;
  /** Edge-compressed blocks kept as they arrived (not re-encoded). */
  blocksStoredAsSent: number;
  walRecordsReplayed: number;
  walTailBytesDropped: number;
  lastBackgroundError: string | undefined;
}

export class ArchiveState {
  readonly dir: string;
  readonly codec: Codec;
  manifest: Manifest;
  readonly registry: Registry;
  readonly policy: HeadPolicy;
  readonly checkpointBytes: number;
  readonly pendingLimit: number;
  wal!: WalWriter;
  readonly heads = new Map<string, SeriesHead>();
  /** The heads' newest and oldest-open timestamps, in columns. */
  readonly clocks = new HeadClocks();
  /** Sealed, waiting for the next checkpoint. */
  pending: SealedBlock[] = [];
  pendingBytes = 0;
  /** Sealed and being written by a running checkpoint. */
  inflight: SealedBlock[] = [];
  /**
   * Points a running checkpoint took from the heads in its synchronous step, by series, until it seals
   * them into `inflight` (queries read them as older writes than their head's points).
   */
  readonly detached = new Map<string, DetachedPoints>();
  /** Segment file → its index by series (loaded on first use). */
  readonly catalog = new Map<string, Promise<Map<string, CatalogBlock[]>>>();
  /** Open segment files, reused across reads. */
  readonly files = new FileHandles();
  /** Serialises checkpoints and maintenance (both rewrite the manifest). */
  exclusive: Promise<unknown> = Promise.resolve();
  /** Seal order of the next block (a manifest records it at each commit). */
  nextSequence: number;
  closed = false;
  /** A background checkpoint is waiting its turn. */
  checkpointQueued = false;
  /** Heads that had sealable points when last appended to, sealed a slice at a time (ingest.ts). */
  readonly sealQueue = new Set<SeriesHead>();
  sealScheduled = false;
  readonly stats: ArchiveStats = {
    pointsAppended: 0,
    latePoints: 0,
    batchesAppended: 0,
    checkpoints: 0,
    blocksSealed: 0,
    blocksStoredAsSent: 0,
    walRecordsReplayed: 0,
    walTailBytesDropped: 0,
    lastBackgroundError: undefined,
  };

  constructor(dir: string, codec: Codec, manifest: Manifest, registry: Registry, policy: HeadPolicy, checkpointBytes: number, pendingLimit: number) {
    this.dir = dir;
    this.codec = codec;
    this.manifest = manifest;
    this.nextSequence = manifest.nextSequence;
    this.registry = registry;
    this.policy = policy;
    this.checkpointBytes = checkpointBytes;
    this.pendingLimit = pendingLimit;
  }

  get walDir(): string {
    return join(this.dir, "wal");
  }

  /** The head of a series named on the ingest path (remembered on the name: no map lookup per run). */
  headOf(name: SeriesName): SeriesHead {
    if (name.headOwner === this) return name.head as SeriesHead;
    const head = this.head(name.key);
    name.head = head;
    name.headOwner = this;
    return head;
  }

  /**
   * Empties every head once the archive is closed or abandoned: series names outlive the archive and
   * still point at its heads, which must then hold nothing.
   */
  releaseHeads(): void {
    for (const { open, late } of [...this.heads.values(), ...this.detached.values()]) {
      open.clear();
      late.clear();
    }
    this.heads.clear();
    this.detached.clear();
    this.sealQueue.clear();
  }

  head(key: string): SeriesHead {
    let h = this.heads.get(key);
    if (!h) this.heads.set(key, (h = new SeriesHead(key, this.clocks)));
    return h;
  }

  /** Runs `task` after every earlier checkpoint or maintenance job, alone. */
  exclusively<T>(task: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(task);
    this.exclusive = run.catch(() => undefined);
    return run;
  }
}

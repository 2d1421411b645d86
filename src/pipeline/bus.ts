// The seam between ingest and the workers: streams of reading batches, one stream per (region,
// partition, lane), read by consumer groups with explicit acknowledgement, as Redis Streams do.
// MemoryBus (in-process, the embedded default) and RedisStreamsBus (scale-out) implement it and pass
// one conformance suite (test/pipeline/bus.conformance.ts).
import type { FlaggedColumns } from "../ingest/batch-builder.js";

/** Lanes in priority order: critical first, then tiers. */
export type Lane = "critical" | "premium" | "standard" | "bulk";
export const LANES: readonly Lane[] = ["critical", "premium", "standard", "bulk"];

/** Which stream a batch goes to. */
export interface StreamId {
  region: string;
  partition: number;
  lane: Lane;
}

/** A batch as a consumer receives it. */
export interface BusEntry {
  /** Unique within its stream, increasing in publish order. */
  id: string;
  stream: StreamId;
  batch: FlaggedColumns;
  /** How many times this entry has been delivered (1 the first time). */
  deliveries: number;
}

/** A consumer's identity: its group and its own name within the group. */
export interface Consumer {
  group: string;
  name: string;
}

export interface Bus {
  /**
   * Appends a batch to a stream. Resolves once the bus vouches for it: stored in Redis (Redis Streams),
   * or acknowledged by a consumer (the memory bus, which keeps nothing on disk).
   */
  publish(stream: StreamId, batch: FlaggedColumns): Promise<string>;
  /**
   * Delivers up to `count` entries never delivered to `consumer.group`, from `streams` taken in the
   * order given (put higher lanes first), waiting up to `blockMs` when there are none.
   */
  read(consumer: Consumer, streams: readonly StreamId[], count: number, blockMs: number): Promise<BusEntry[]>;
  /** Marks entries processed; they are not delivered again. */
  ack(group: string, stream: StreamId, ids: readonly string[]): Promise<void>;
  /** Re-delivers to `consumer` entries of `stream` delivered but not acked for `minIdleMs` (a dead consumer's). */
  claim(consumer: Consumer, stream: StreamId, minIdleMs: number, count: number): Promise<BusEntry[]>;
  /** Entries of `stream` published but not yet acked by `group`. */
  backlog(group: string, stream: StreamId): Promise<number>;
  close(): Promise<void>;
}

/** The streams of `partitions`, lane by lane (critical first: the order consumers read them in). */
export function laneStreams(region: string, partitions: readonly number[]): StreamId[] {
  return LANES.flatMap((lane) => partitions.map((partition) => ({ region, partition, lane })));
}

/** Entries of `streams` that `group` has not stored yet: unread, or read and not acknowledged. */
export async function totalBacklog(bus: Bus, group: string, streams: readonly StreamId[]): Promise<number> {
  const counts = await Promise.all(streams.map((s) => bus.backlog(group, s)));
  return counts.reduce((a, b) => a + b, 0);
}

/** @internal The stream's name (Redis key). */
export function streamName(s: StreamId): string {
  return `iotpipe:${s.region}:p${s.partition}:${s.lane}`;
}

/** Entry ids grouped by stream, to acknowledge a mixed set of entries one stream at a time. */
export function idsByStream(entries: readonly BusEntry[]): { stream: StreamId; ids: string[] }[] {
  const byStream = new Map<string, { stream: StreamId; ids: string[] }>();
  for (const e of entries) {
    const name = streamName(e.stream);
    const group = byStream.get(name);
    if (group) group.ids.push(e.id);
    else byStream.set(name, { stream: e.stream, ids: [e.id] });
  }
  return [...byStream.values()];
}

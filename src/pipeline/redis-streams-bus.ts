// The scale-out bus: one Redis stream per (region, partition, lane), one entry per batch (Arrow IPC
// bytes in the field `arrow`), consumer groups with XACK, XAUTOCLAIM for a dead worker's entries.
// Streams stay bounded without losing anything: acked entries are trimmed, and publishers wait for room.
import type { Redis } from "ioredis";
import { redisClient } from "./redis-client.js";
import { ArrowBatchError, batchFromIPC, batchToIPC } from "./arrow-batch.js";
import { blocksFromBytes, blocksToBytes } from "./edge-blocks.js";
import { streamName, type Bus, type BusEntry, type Consumer, type StreamId } from "./bus.js";
import { PUBLISH, READ, CLAIM, ACK, BACKLOG, SCRIPTS, type Script } from "./redis-scripts.js";
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { PublishCoalescer } from "./publish-coalescer.js";

/** The entry field holding Arrow IPC stream bytes. A new wire format gets a new field name. */
const BATCH_FIELD = "arrow";
/** Edge-compressed blocks riding with the batch (pipeline/edge-blocks.ts), when it has any. */
const BLOCKS_FIELD = "blocks";

/** How RedisStreamsBus connects and how full a stream may get. */
export interface RedisStreamsBusOptions {
  /**
   * Most entries a stream holds; publish waits (polling with backoff) while the stream is this long
   * rather than trim what a group has not acked. Default 10 000; `Infinity` for no bound.
   */
  maxBacklog?: number;
  /** First and longest pause between two attempts of a waiting publish, in ms. Default [1, 100]. */
  backoffMs?: readonly [number, number];
  /**
   * Merge what is published to a stream while two publications are on their way into one entry
   * (publish-coalescer.ts): fewer, larger entries under load. Default off: one entry per publish.
   */
  coalesce?: boolean;
}

type Arg = string | number | Buffer;

/**
 * Bus over Redis Streams (Redis ≥ 7.0) for several processes on several machines. `publish` resolves
 * once Redis holds the batch. Reading several streams at once needs them in one hash slot on Redis
 * Cluster, which streamName() does not give them (no hash tag); a single node or Sentinel has no such limit.
 */
export class RedisStreamsBus implements Bus {
  readonly #connect: () => Redis;
  readonly #client: Redis;
  readonly #ready: Promise<unknown>;
  readonly #maxBacklog: number;
  readonly #backoff: readonly [number, number];
  /** Blocking reads hold a connection each: idle ones wait here, all are closed at the end. */
  readonly #idle: Redis[] = [];
  readonly #blocking = new Set<Redis>();
  /** "stream\0group" pairs known to exist, so XGROUP CREATE is sent once. */
  readonly #groups = new Set<string>();
  /** Entries a blocking read received beyond its count, per "group\0consumer" (see #block). */
  readonly #carried = new Map<string, BusEntry[]>();
  readonly #sleepers = new Set<() => void>();
  readonly #coalescer: PublishCoalescer | undefined;
  #closed = false;

  /**
   * @param redis a redis:// URL, or a factory returning a new ioredis client on each call (the bus
   *   owns and closes what it returns: one connection for commands, one per blocking read in flight).
   */
  constructor(redis: string | (() => Redis), options: RedisStreamsBusOptions = {}) {
    const { maxBacklog = 10_000, backoffMs = [1, 100], coalesce = false } = options;
    if (!(maxBacklog === Infinity || (Number.isSafeInteger(maxBacklog) && maxBacklog > 0))) {
      throw new RangeError(`maxBacklog must be a positive integer or Infinity, not ${maxBacklog}`);
    }
    if (!(backoffMs[0] > 0 && backoffMs[1] >= backoffMs[0])) throw new RangeError(`backoffMs must be [first > 0, longest ≥ first], not [${backoffMs.join(", ")}]`);
    this.#maxBacklog = maxBacklog;
    this.#backoff = backoffMs;
    this.#coalescer = coalesce ? new PublishCoalescer((key, batch) => this.#publish(key, batch)) : undefined;
    this.#connect = typeof redis === "string" ? () => redisClient(redis) : redis;
    this.#client = this.#connect();
    // Loaded first on the command connection, so no EVALSHA on it meets NOSCRIPT and falls back to
    // EVAL later than commands sent after it (which would reorder two publishes to one stream).
    this.#ready = Promise.all(SCRIPTS.map((s) => this.#client.call("SCRIPT", "LOAD", s.body))).catch(() => {});
  }

  publish(stream: StreamId, batch: FlaggedColumns): Promise<string> {
    const key = streamName(stream);
    return this.#coalescer ? this.#coalescer.publish(key, batch) : this.#publish(key, batch);
  }

  /** Publishes one batch as one entry of the stream named `key`. */
  async #publish(key: string, batch: FlaggedColumns): Promise<string> {
    const ipc = batchToIPC(batch);
    const payload = Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength);
    const max = this.#maxBacklog === Infinity ? 0 : this.#maxBacklog;
    let pause = this.#backoff[0];
    for (;;) {
      if (this.#closed) throw new Error("the bus is closed");
      const fields = batch.blocks ? [BATCH_FIELD, payload, BLOCKS_FIELD, Buffer.from(blocksToBytes(batch.blocks))] : [BATCH_FIELD, payload];
      const id = await this.#run(PUBLISH, [key], [max, ...fields]);
      if (id !== null) return text(id);
      // Full: the stream holds entries some group has not acked yet. Wait; never trim those.
      await this.#sleep(pause);
      pause = Math.min(pause * 2, this.#backoff[1]);
    }
  }

  async read(consumer: Consumer, streams: readonly StreamId[], count: number, blockMs: number): Promise<BusEntry[]> {
    try {
      return await this.#read(consumer, streams, Math.floor(count), blockMs);
    } catch (err) {
      // close() during a read cuts its connection: the read ends empty, as the memory bus' does.
      if (this.#closed) return [];
      throw err;
    }
  }

  async #read(consumer: Consumer, streams: readonly StreamId[], count: number, blockMs: number): Promise<BusEntry[]> {
    if (this.#closed || streams.length === 0 || count < 1) return [];
    const keys = streams.map(streamName);
    const out = await this.#takeCarried(consumer, keys, streams, count);
    if (out.length < count) {
      const reply = await this.#withGroups(keys, consumer.group, () => this.#run(READ, keys, [consumer.group, consumer.name, count - out.length]));
      const flat = reply as unknown[];
      for (let i = 0; i < flat.length; i += 3) {
        const index = Number(flat[i]) - 1;
        out.push(entry(streams[index], keys[index], flat[i + 1], flat[i + 2], 1));
      }
    }
    // Redis' BLOCK 0 waits forever; the bus' 0 does not wait at all.
    if (out.length > 0 || blockMs <= 0 || this.#closed) return inPriorityOrder(out, keys);
    return this.#block(consumer, keys, streams, count, blockMs);
  }

  async ack(group: string, stream: StreamId, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#run(ACK, [streamName(stream)], [group, ...ids]);
  }

  async claim(consumer: Consumer, stream: StreamId, minIdleMs: number, count: number): Promise<BusEntry[]> {
    count = Math.floor(count);
    if (count < 1) return [];
    const key = streamName(stream);
    const idle = Math.max(0, Math.floor(minIdleMs));
    const reply = (await this.#withGroups([key], consumer.group, () => this.#run(CLAIM, [key], [consumer.group, consumer.name, idle, count]))) as unknown[];
    const out: BusEntry[] = [];
    for (let i = 0; i < reply.length; i += 3) out.push(entry(stream, key, reply[i], reply[i + 1], Number(reply[i + 2])));
    return out;
  }

  async backlog(group: string, stream: StreamId): Promise<number> {
    return Number(await this.#run(BACKLOG, [streamName(stream)], [group]));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#sleepers]) wake();
    // A connection in a blocking read would answer QUIT only when the read ends: cut it instead.
    for (const c of this.#blocking) c.disconnect();
    this.#blocking.clear();
    this.#idle.length = 0;
    await Promise.race([this.#client.quit().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.#client.disconnect();
  }

  /** Waits on every stream at once (nothing was ready), on a connection of its own. */
  async #block(consumer: Consumer, keys: string[], streams: readonly StreamId[], count: number, blockMs: number): Promise<BusEntry[]> {
    const connection = this.#idle.pop() ?? this.#open();
    let reply: unknown;
    try {
      reply = await connection.callBuffer("XREADGROUP", "GROUP", consumer.group, consumer.name, "COUNT", count, "BLOCK", Math.ceil(blockMs), "STREAMS", ...keys, ...keys.map(() => ">"));
    } catch (err) {
      // The stream was deleted while we waited (its groups with it): they are made again next read.
      if (isRedisError(err, "NOGROUP") || isRedisError(err, "UNBLOCKED")) {
        for (const key of keys) this.#groups.delete(`${key}\0${consumer.group}`);
        return [];
      }
      throw err;
    } finally {
      if (this.#closed) connection.disconnect();
      else this.#idle.push(connection);
    }
    const out: BusEntry[] = [];
    const index = new Map(keys.map((k, i) => [k, i]));
    for (const [name, entries] of streamReplies(reply)) {
      const i = index.get(name);
      if (i === undefined) throw new Error(`BUG: XREADGROUP answered for stream ${name}, not asked for`);
      for (const [id, fields] of entries as [unknown, unknown][]) out.push(entry(streams[i], name, id, fields, 1));
    }
    const sorted = inPriorityOrder(out, keys);
    // Redis ≥ 7.2 re-runs a woken XREADGROUP over every stream, each up to COUNT: the surplus is
    // already pending to this consumer, so it is handed out by the consumer's next read.
    if (sorted.length > count) {
      const key = `${consumer.group}\0${consumer.name}`;
      this.#carried.set(key, [...(this.#carried.get(key) ?? []), ...sorted.slice(count)]);
    }
    return sorted.slice(0, count);
  }

  /** Carried entries of the streams asked for, still pending to this consumer (a claim may have moved them). */
  async #takeCarried(consumer: Consumer, keys: string[], streams: readonly StreamId[], count: number): Promise<BusEntry[]> {
    const key = `${consumer.group}\0${consumer.name}`;
    const carried = this.#carried.get(key);
    if (!carried) return [];
    const wanted = new Set(keys);
    const taken = inPriorityOrder(
      carried.filter((e) => wanted.has(streamName(e.stream))),
      keys,
    ).slice(0, count);
    const left = carried.filter((e) => !taken.includes(e));
    if (left.length > 0) this.#carried.set(key, left);
    else this.#carried.delete(key);
    const owners = await Promise.all(taken.map((e) => this.#client.call("XPENDING", streamName(e.stream), consumer.group, e.id, e.id, 1) as Promise<unknown[][]>));
    const out: BusEntry[] = [];
    taken.forEach((e, i) => {
      const row = owners[i][0];
      if (row && String(row[1]) === consumer.name) out.push({ ...e, stream: streams[keys.indexOf(streamName(e.stream))], deliveries: Number(row[3]) });
    });
    return out;
  }

  #open(): Redis {
    const connection = this.#connect();
    this.#blocking.add(connection);
    return connection;
  }

  /** Runs `op` once the streams' groups exist; again once if a stream (and its groups) vanished. */
  async #withGroups<T>(keys: string[], group: string, op: () => Promise<T>): Promise<T> {
    await this.#ensureGroups(keys, group);
    try {
      return await op();
    } catch (err) {
      if (!isRedisError(err, "NOGROUP")) throw err;
      for (const key of keys) this.#groups.delete(`${key}\0${group}`);
      await this.#ensureGroups(keys, group);
      return op();
    }
  }

  async #ensureGroups(keys: string[], group: string): Promise<void> {
    const missing = keys.filter((key) => !this.#groups.has(`${key}\0${group}`));
    await Promise.all(
      missing.map(async (key) => {
        try {
          // From id 0: a new group starts at the oldest entry still held, as in the memory bus.
          await this.#client.call("XGROUP", "CREATE", key, group, "0", "MKSTREAM");
        } catch (err) {
          if (!isRedisError(err, "BUSYGROUP")) throw err;
        }
        this.#groups.add(`${key}\0${group}`);
      }),
    );
  }

  async #run(script: Script, keys: string[], args: Arg[]): Promise<unknown> {
    await this.#ready;
    try {
      return await this.#client.callBuffer("EVALSHA", script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // The server lost its scripts (restart, SCRIPT FLUSH).
      if (!isRedisError(err, "NOSCRIPT")) throw err;
      return this.#client.callBuffer("EVAL", script.body, keys.length, ...keys, ...args);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }
}

function entry(stream: StreamId, key: string, id: unknown, fields: unknown, deliveries: number): BusEntry {
  const name = text(id);
  const list = Array.isArray(fields) ? fields : [];
  const blocksAt = list.findIndex((f, i) => i % 2 === 0 && text(f) === BLOCKS_FIELD);
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (text(list[i]) !== BATCH_FIELD) continue;
    const bytes = list[i + 1] as Buffer;
    try {
      const batch = batchFromIPC(bytes);
      const blocks = blocksAt >= 0 ? blocksFromBytes(list[blocksAt + 1] as Buffer) : undefined;
      if (blocks) batch.blocks = blocks;
      return { id: name, stream, batch, deliveries };
    } catch (err) {
      if (!(err instanceof ArrowBatchError)) throw err;
      throw new ArrowBatchError(err.code, `stream ${key}, entry ${name}: ${err.message}`, err.at, { cause: err });
    }
  }
  throw new ArrowBatchError("BAD_IPC", `stream ${key}, entry ${name} has no field ${BATCH_FIELD} (fields: ${list.filter((_, i) => i % 2 === 0).map(text).join(", ")})`);
}

/** Entries ordered by the position of their stream in `keys`; within a stream, as received (id order). */
function inPriorityOrder(entries: BusEntry[], keys: string[]): BusEntry[] {
  const rank = new Map(keys.map((k, i) => [k, i]));
  return entries
    .map((e, i) => ({ e, i, r: rank.get(streamName(e.stream)) ?? keys.length }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ e }) => e);
}

/**
 * XREADGROUP's reply as (stream, entries) pairs, whatever the connection's protocol: RESP2 and
 * ioredis' transformed RESP3 give pairs, a raw RESP3 map in ioredis' legacy mapping arrives flat
 * (key, entries, key, entries), and the "resp3" mapping gives an object.
 */
function streamReplies(reply: unknown): [string, unknown[]][] {
  if (reply == null) return [];
  if (Array.isArray(reply)) {
    if (reply.length > 0 && !Array.isArray(reply[0])) {
      const pairs: [string, unknown[]][] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([text(reply[i]), reply[i + 1] as unknown[]]);
      return pairs;
    }
    return (reply as [unknown, unknown[]][]).map(([k, e]) => [text(k), e]);
  }
  if (typeof reply === "object") return Object.entries(reply as Record<string, unknown[]>);
  throw new Error(`BUG: unexpected XREADGROUP reply ${String(reply)}`);
}

function text(x: unknown): string {
  return Buffer.isBuffer(x) ? x.toString("utf8") : String(x);
}

function isRedisError(err: unknown, code: string): boolean {
  const message = (err as Error | undefined)?.message;
  return typeof message === "string" && message.includes(code);
}

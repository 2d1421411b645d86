// The scale-out bus: one Redis stream per (region, partition, lane), one entry per batch (Arrow IPC
// bytes in the field `arrow`), consumer groups with XACK, XAUTOCLAIM for a dead worker's entries.
// Streams stay bounded without losing anything: acked entries are trimmed, and publishers wait for room.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { ArrowBatchError, batchFromIPC, batchToIPC } from "./arrow-batch.js";
import { streamName, type Bus, type BusEntry, type Consumer, type StreamId } from "./bus.js";
import type { FlaggedColumns } from "../ingest/batch-builder.js";

/** The entry field holding Arrow IPC stream bytes. A new wire format gets a new field name. */
const BATCH_FIELD = "arrow";

/** How RedisStreamsBus connects and how full a stream may get. */
export interface RedisStreamsBusOptions {
  /**
   * Most entries a stream holds; publish waits (polling with backoff) while the stream is this long
   * rather than trim what a group has not acked. Default 10 000; `Infinity` for no bound.
   */
  maxBacklog?: number;
  /** First and longest pause between two attempts of a waiting publish, in ms. Default [1, 100]. */
  backoffMs?: readonly [number, number];
}

/** A Lua script run by EVALSHA, loaded once per connection (with EVAL as the fallback). */
class Script {
  readonly sha: string;
  constructor(readonly body: string) {
    this.sha = createHash("sha1").update(body).digest("hex");
  }
}

// Adds unless the stream already holds ARGV[1] entries (0: no bound). Nil means "full, retry".
const PUBLISH = new Script(`
local max = tonumber(ARGV[1])
if max > 0 and redis.call('XLEN', KEYS[1]) >= max then return false end
return redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[3])`);

// XREADGROUP's COUNT bounds each stream, not the reply, so the streams are read one after the other
// for what is left of the count: earlier streams first, and no more entries pending than returned.
// Replies flat triples (stream index, id, fields).
const READ = new Script(`
local left = tonumber(ARGV[3])
local out = {}
for i, key in ipairs(KEYS) do
  if left <= 0 then break end
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', left, 'STREAMS', key, '>')
  if reply then
    for _, entry in ipairs(reply[1][2]) do
      out[#out + 1] = i
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
      left = left - 1
    end
  end
end
return out`);

// XAUTOCLAIM looks at no more than 10 × COUNT pending entries per call, so the cursor is followed
// until the pending list is walked or enough are claimed. Replies flat triples (id, fields, deliveries).
const CLAIM = new Script(`
local want = tonumber(ARGV[4])
local out = {}
local got = 0
local cursor = '0-0'
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', want - got)
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    if entry[2] then
      local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
      out[#out + 1] = pending[1][4]
      got = got + 1
    end
  end
until cursor == '0-0' or got >= want
return out`);

const GROUP_FIELDS = `
local function fields(g)
  local f = {}
  for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
  return f
end`;

// Acks, then trims what every group is done with: XTRIM MINID to the smallest id some group still
// needs, which is its oldest pending entry or else the entry after its last delivered one. A stream
// with no group keeps everything. Ids compare as decimal strings, exact beyond 2^53.
const ACK = new Script(`${GROUP_FIELDS}
local function split(id)
  local dash = string.find(id, '-', 1, true)
  return string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
end
local function less(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  if am ~= bm then
    if #am ~= #bm then return #am < #bm end
    return am < bm
  end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local function after(id)
  local ms, seq = split(id)
  if #seq > 15 then return id end
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end
local acked = 0
for i = 2, #ARGV, 1000 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if acked == 0 then return 0 end
local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = fields(g)
  local need
  if f['pending'] > 0 then
    need = redis.call('XPENDING', KEYS[1], f['name'])[2]
  else
    need = after(f['last-delivered-id'])
  end
  if keep == nil or less(need, keep) then keep = need end
end
if keep then redis.call('XTRIM', KEYS[1], 'MINID', keep) end
return acked`);

// Pending plus lag (Redis 7). Lag is nil after an XDEL in the unread range (and absent before 7.0):
// then the unread entries are counted. A group not created yet would start at the oldest entry held.
const BACKLOG = new Script(`${GROUP_FIELDS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = fields(g)
  if f['name'] == ARGV[1] then
    local lag = f['lag']
    if not lag then lag = #redis.call('XRANGE', KEYS[1], '(' .. f['last-delivered-id'], '+') end
    return f['pending'] + lag
  end
end
return redis.call('XLEN', KEYS[1])`);

const SCRIPTS = [PUBLISH, READ, CLAIM, ACK, BACKLOG];

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
  #closed = false;

  /**
   * @param redis a redis:// URL, or a factory returning a new ioredis client on each call (the bus
   *   owns and closes what it returns: one connection for commands, one per blocking read in flight).
   */
  constructor(redis: string | (() => Redis), options: RedisStreamsBusOptions = {}) {
    const { maxBacklog = 10_000, backoffMs = [1, 100] } = options;
    if (!(maxBacklog === Infinity || (Number.isSafeInteger(maxBacklog) && maxBacklog > 0))) {
      throw new RangeError(`maxBacklog must be a positive integer or Infinity, not ${maxBacklog}`);
    }
    if (!(backoffMs[0] > 0 && backoffMs[1] >= backoffMs[0])) throw new RangeError(`backoffMs must be [first > 0, longest ≥ first], not [${backoffMs.join(", ")}]`);
    this.#maxBacklog = maxBacklog;
    this.#backoff = backoffMs;
    this.#connect =
      typeof redis === "string"
        ? () => {
            const client = new Redis(redis);
            // Failures surface on the commands they hit; this only keeps ioredis from printing them.
            client.on("error", () => {});
            return client;
          }
        : redis;
    this.#client = this.#connect();
    // Loaded first on the command connection, so no EVALSHA on it meets NOSCRIPT and falls back to
    // EVAL later than commands sent after it (which would reorder two publishes to one stream).
    this.#ready = Promise.all(SCRIPTS.map((s) => this.#client.call("SCRIPT", "LOAD", s.body))).catch(() => {});
  }

  async publish(stream: StreamId, batch: FlaggedColumns): Promise<string> {
    const ipc = batchToIPC(batch);
    const payload = Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength);
    const key = streamName(stream);
    const max = this.#maxBacklog === Infinity ? 0 : this.#maxBacklog;
    let pause = this.#backoff[0];
    for (;;) {
      if (this.#closed) throw new Error("the bus is closed");
      const id = await this.#run(PUBLISH, [key], [max, BATCH_FIELD, payload]);
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
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (text(list[i]) !== BATCH_FIELD) continue;
    const bytes = list[i + 1] as Buffer;
    try {
      return { id: name, stream, batch: batchFromIPC(bytes), deliveries };
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

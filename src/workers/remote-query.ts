// Queries in scale-out mode: the ingest process holds no archive, so it asks the `iotpipe worker`
// processes over Redis pub/sub. Each worker answers with the query part of every partition it owns
// (v8-serialized: parts hold typed arrays); the asker merges one part per partition (the first, should
// a lease handover make two workers answer), waits for every partition that has a lease holder, and
// names in the answer's warnings the partitions that no worker answered.
import { randomUUID } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type { Redis } from "ioredis";
import { redisClient } from "../pipeline/redis-client.js";
import { finishQuery, type QueryPart } from "../query/finish.js";
import { normalizeQuery, type Query, type QueryResult } from "../query/query.js";
import { leaseHolders } from "./leases.js";

/** A partition's part of an answer. */
export interface PartitionPart {
  partition: number;
  part: QueryPart;
}

interface QueryRequest {
  id: string;
  query: Query;
  dryRun: boolean;
  replyTo: string;
}

interface QueryReply {
  id: string;
  parts?: PartitionPart[];
  error?: string;
}

const requestChannel = (region: string) => `iotpipe:${region}:queries`;

/** The worker side: answers every query request with the parts of the partitions it owns. */
export class QueryResponder {
  readonly #sub: Redis;
  readonly #pub: Redis;

  private constructor(sub: Redis, pub: Redis) {
    this.#sub = sub;
    this.#pub = pub;
  }

  static async start(url: string, region: string, partsOf: (query: Query, dryRun: boolean) => Promise<PartitionPart[]>): Promise<QueryResponder> {
    const sub = redisClient(url);
    const pub = redisClient(url);
    sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      let request: QueryRequest;
      try {
        request = deserialize(message) as QueryRequest;
      } catch {
        return;
      }
      partsOf(request.query, request.dryRun).then(
        (parts) => pub.publish(request.replyTo, serialize({ id: request.id, parts } satisfies QueryReply)),
        (err: Error) => pub.publish(request.replyTo, serialize({ id: request.id, error: err.message } satisfies QueryReply)),
      ).catch(() => {});
    });
    await sub.subscribe(requestChannel(region));
    return new QueryResponder(sub, pub);
  }

  close(): void {
    this.#sub.disconnect();
    this.#pub.disconnect();
  }
}

interface Waiting {
  expected: Set<number>;
  parts: Map<number, QueryPart>;
  done: (error?: Error) => void;
}

/** The ingest side: asks the workers and merges their parts into one answer. */
export class RemoteQuery {
  readonly #sub: Redis;
  readonly #pub: Redis;
  readonly #region: string;
  readonly #partitions: number;
  readonly #timeoutMs: number;
  readonly #replyTo = `iotpipe:query-replies:${randomUUID()}`;
  readonly #waiting = new Map<string, Waiting>();

  private constructor(sub: Redis, pub: Redis, region: string, partitions: number, timeoutMs: number) {
    this.#sub = sub;
    this.#pub = pub;
    this.#region = region;
    this.#partitions = partitions;
    this.#timeoutMs = timeoutMs;
    sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => this.#reply(message));
  }

  static async start(url: string, region: string, partitions: number, timeoutMs = 10_000): Promise<RemoteQuery> {
    const remote = new RemoteQuery(redisClient(url), redisClient(url), region, partitions, timeoutMs);
    await remote.#sub.subscribe(remote.#replyTo);
    return remote;
  }

  /** Answers `query` from every worker's partitions; throws for an invalid query or a worker's error. */
  async query(query: Query, dryRun = false): Promise<QueryResult> {
    const problem = normalizeQuery(query);
    if (typeof problem === "string") throw new Error(problem);
    const holders = await leaseHolders(this.#pub, this.#region, this.#partitions);
    const expected = new Set(holders.flatMap((h, p) => (h === null ? [] : [p])));
    const id = randomUUID();
    const parts = new Map<number, QueryPart>();
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(), this.#timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        if (error) reject(error);
        else resolve();
      };
      this.#waiting.set(id, { expected, parts, done });
      if (expected.size === 0) done();
    });
    await this.#pub.publish(requestChannel(this.#region), serialize({ id, query, dryRun, replyTo: this.#replyTo } satisfies QueryRequest));
    await answered;
    const result = finishQuery(query, [...parts.values()]);
    const missing = Array.from({ length: this.#partitions }, (_, p) => p).filter((p) => !parts.has(p));
    if (missing.length > 0) {
      const unowned = missing.filter((p) => !expected.has(p));
      const silent = missing.filter((p) => expected.has(p));
      if (unowned.length > 0) result.warnings.push(`partitions ${unowned.join(", ")} have no worker: their data is not in this answer`);
      if (silent.length > 0) result.warnings.push(`partitions ${silent.join(", ")} did not answer within ${this.#timeoutMs} ms: their data is not in this answer`);
    }
    return result;
  }

  #reply(message: Buffer): void {
    let reply: QueryReply;
    try {
      reply = deserialize(message) as QueryReply;
    } catch {
      return;
    }
    const waiting = this.#waiting.get(reply.id);
    if (!waiting) return;
    if (reply.error !== undefined) return waiting.done(new Error(reply.error));
    for (const { partition, part } of reply.parts ?? []) {
      if (!waiting.parts.has(partition)) waiting.parts.set(partition, part);
    }
    if ([...waiting.expected].every((p) => waiting.parts.has(p))) waiting.done();
  }

  close(): void {
    for (const w of [...this.#waiting.values()]) w.done(new Error("the query connection is closed"));
    this.#sub.disconnect();
    this.#pub.disconnect();
  }
}

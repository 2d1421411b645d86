// Queries in scale-out mode: the ingest process holds no archive, so it asks the `iotpipe worker`
// processes over Redis pub/sub. Each worker answers with the query part of every partition it owns
// (v8-serialized: parts hold typed arrays); the asker merges one part per partition (the first, should
// a lease handover make two workers answer), waits for every partition that has a lease holder, and
// names in the answer's warnings the partitions that no worker answered. The fleet's health is asked
// the same way: each worker answers for the devices of the partitions it owns.
import { randomUUID } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type { Redis } from "ioredis";
import { redisClient } from "../pipeline/redis-client.js";
import { finishQuery, type QueryPart } from "../query/finish.js";
import { normalizeQuery, type Query, type QueryResult } from "../query/query.js";
import { leaseHolders } from "./leases.js";
import type { DeviceHealth } from "../analytics/stream-analytics.js";

/** A partition's part of an answer. */
export interface PartitionPart {
  partition: number;
  part: QueryPart;
}

/** What the ingest process asks the workers. */
type Ask = { kind: "query"; query: Query; dryRun: boolean } | { kind: "health"; now: number };
type QueryRequest = { id: string; replyTo: string } & Ask;

interface QueryReply {
  id: string;
  parts?: PartitionPart[];
  health?: WorkerHealth;
  error?: string;
}

/** A worker's devices' health, and the partitions they are all of. */
export interface WorkerHealth {
  partitions: number[];
  devices: DeviceHealth[];
}

/** What a worker answers with. */
export interface Answers {
  parts(query: Query, dryRun: boolean): Promise<PartitionPart[]>;
  health(now: number): WorkerHealth;
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

  static async start(url: string, region: string, answers: Answers): Promise<QueryResponder> {
    const sub = redisClient(url);
    const pub = redisClient(url);
    sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      let request: QueryRequest;
      try {
        request = deserialize(message) as QueryRequest;
      } catch {
        return;
      }
      const answer: Promise<Omit<QueryReply, "id">> =
        request.kind === "health" ? Promise.resolve().then(() => ({ health: answers.health(request.now) })) : answers.parts(request.query, request.dryRun).then((parts) => ({ parts }));
      answer.then(
        (reply) => pub.publish(request.replyTo, serialize({ id: request.id, ...reply } satisfies QueryReply)),
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
  covered: Set<number>;
  /** Takes a worker's reply; returns the partitions it covers. */
  take: (reply: QueryReply) => number[];
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
    const parts = new Map<number, QueryPart>();
    const { expected } = await this.#ask({ kind: "query", query, dryRun }, (reply) => {
      for (const { partition, part } of reply.parts ?? []) if (!parts.has(partition)) parts.set(partition, part);
      return (reply.parts ?? []).map((p) => p.partition);
    });
    const result = finishQuery(query, [...parts.values()]);
    result.warnings.push(...this.#missing(expected, new Set(parts.keys())));
    return result;
  }

  /** Every device's health from the workers that own it, least healthy first, and the partitions no worker answered for. */
  async health(now: number): Promise<{ devices: DeviceHealth[]; warnings: string[] }> {
    const devices = new Map<string, DeviceHealth>();
    const { expected, covered } = await this.#ask({ kind: "health", now }, (reply) => {
      for (const d of reply.health?.devices ?? []) if (!devices.has(d.device)) devices.set(d.device, d);
      return reply.health?.partitions ?? [];
    });
    const sorted = [...devices.values()].sort((a, b) => a.score - b.score || a.device.localeCompare(b.device));
    return { devices: sorted, warnings: this.#missing(expected, covered) };
  }

  /** Publishes a request and waits until every partition with a lease holder is covered, or the timeout. */
  async #ask(request: Ask, take: Waiting["take"]): Promise<{ expected: Set<number>; covered: Set<number> }> {
    const holders = await leaseHolders(this.#pub, this.#region, this.#partitions);
    const expected = new Set(holders.flatMap((h, p) => (h === null ? [] : [p])));
    const covered = new Set<number>();
    const id = randomUUID();
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(), this.#timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        if (error) reject(error);
        else resolve();
      };
      this.#waiting.set(id, { expected, covered, take, done });
      if (expected.size === 0) done();
    });
    await this.#pub.publish(requestChannel(this.#region), serialize({ id, replyTo: this.#replyTo, ...request } satisfies QueryRequest));
    await answered;
    return { expected, covered };
  }

  /** Warnings naming the partitions missing from an answer. */
  #missing(expected: Set<number>, covered: Set<number>): string[] {
    const missing = Array.from({ length: this.#partitions }, (_, p) => p).filter((p) => !covered.has(p));
    const unowned = missing.filter((p) => !expected.has(p));
    const silent = missing.filter((p) => expected.has(p));
    const warnings: string[] = [];
    if (unowned.length > 0) warnings.push(`partitions ${unowned.join(", ")} have no worker: their data is not in this answer`);
    if (silent.length > 0) warnings.push(`partitions ${silent.join(", ")} did not answer within ${this.#timeoutMs} ms: their data is not in this answer`);
    return warnings;
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
    for (const p of waiting.take(reply)) waiting.covered.add(p);
    if ([...waiting.expected].every((p) => waiting.covered.has(p))) waiting.done();
  }

  close(): void {
    for (const w of [...this.#waiting.values()]) w.done(new Error("the query connection is closed"));
    this.#sub.disconnect();
    this.#pub.disconnect();
  }
}

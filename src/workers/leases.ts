// Partition ownership across processes, kept in Redis (no home-made consensus): a partition belongs
// to the worker holding its lease key; leases expire unless renewed, so a dead worker's partitions
// are free again after one lease period. Each worker aims for an even share of the live workers.
import type { Redis } from "ioredis";

const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  region: string;
  partitions: number;
  /** This worker's unique name. */
  name: string;
  /** Lease time (ms): a dead worker's partitions move after this. */
  ttlMs: number;
}

/** The lease key of partition `p`. */
function leaseKey(region: string, p: number): string {
  return `iotpipe:${region}:lease:p${p}`;
}

/** Who holds each partition's lease now (null: nobody, so no worker serves that partition). */
export async function leaseHolders(redis: Redis, region: string, partitions: number): Promise<(string | null)[]> {
  return redis.mget(Array.from({ length: partitions }, (_, p) => leaseKey(region, p)));
}

export class Leases {
  readonly #redis: Redis;
  readonly #o: LeaseOptions;
  readonly owned = new Set<number>();

  constructor(redis: Redis, options: LeaseOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  #key(p: number): string {
    return leaseKey(this.#o.region, p);
  }

  /**
   * One round: heartbeat, renew owned leases (dropping any lost), then take free partitions up to an
   * even share. Returns the partitions gained, lost and to give back (over the share).
   */
  async round(): Promise<{ gained: number[]; lost: number[]; surplus: number[] }> {
    const r = this.#redis;
    const { region, name, ttlMs, partitions } = this.#o;
    await r.set(`iotpipe:${region}:worker:${name}`, "1", "PX", ttlMs);
    const lost: number[] = [];
    for (const p of this.owned) {
      if (Number(await r.eval(RENEW, 1, this.#key(p), name, ttlMs)) !== 1) {
        this.owned.delete(p);
        lost.push(p);
      }
    }
    const live = Math.max(1, (await r.keys(`iotpipe:${region}:worker:*`)).length);
    const share = Math.ceil(partitions / live);
    const gained: number[] = [];
    for (let p = 0; p < partitions && this.owned.size < share; p++) {
      if (this.owned.has(p)) continue;
      if ((await r.set(this.#key(p), name, "PX", ttlMs, "NX")) === "OK") {
        this.owned.add(p);
        gained.push(p);
      }
    }
    const surplus = [...this.owned].slice(share);
    return { gained, lost, surplus };
  }

  /** Still the owner of `p` right now (checked before each write, against a paused zombie). */
  async holds(p: number): Promise<boolean> {
    return (await this.#redis.get(this.#key(p))) === this.#o.name;
  }

  async release(p: number): Promise<void> {
    this.owned.delete(p);
    await this.#redis.eval(RELEASE, 1, this.#key(p), this.#o.name);
  }

  async releaseAll(): Promise<void> {
    for (const p of [...this.owned]) await this.release(p);
    await this.#redis.del(`iotpipe:${this.#o.region}:worker:${this.#o.name}`);
  }
}

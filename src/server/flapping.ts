// Flapping detection: a device (known by its token) whose connections keep dying young is reconnecting
// in a loop: after `limit` short-lived connections within a minute its upgrades are refused for a
// cool-down, so a broken device costs the server nothing while it spins. Anonymous clients are left
// to the accept-rate limit: many devices can share one address behind a gateway or NAT.

interface Record {
  shortLived: number[];
  blockedUntil: number;
}

/** Bounds the memory of the detector whatever the number of tokens seen. */
const MAX_TRACKED = 100_000;

export class FlapDetector {
  readonly #records = new Map<string, Record>();
  readonly #limit: number;
  readonly #shortLivedMs: number;
  readonly #cooldownMs: number;

  constructor(limit: number, shortLivedSeconds: number, cooldownSeconds: number) {
    this.#limit = limit;
    this.#shortLivedMs = shortLivedSeconds * 1000;
    this.#cooldownMs = cooldownSeconds * 1000;
  }

  /** Milliseconds `key` must still wait before it may connect, or 0. */
  blockedFor(key: string, now = Date.now()): number {
    const r = this.#records.get(key);
    return r && r.blockedUntil > now ? r.blockedUntil - now : 0;
  }

  /** Records that a connection of `key` opened at `openedAt` has closed now. */
  closed(key: string, openedAt: number, now = Date.now()): void {
    if (now - openedAt >= this.#shortLivedMs) return;
    let r = this.#records.get(key);
    if (!r) {
      if (this.#records.size >= MAX_TRACKED) this.#records.delete(this.#records.keys().next().value!);
      this.#records.set(key, (r = { shortLived: [], blockedUntil: 0 }));
    }
    r.shortLived = r.shortLived.filter((t) => now - t < 60_000);
    r.shortLived.push(now);
    if (r.shortLived.length >= this.#limit) {
      r.blockedUntil = now + this.#cooldownMs;
      r.shortLived = [];
    }
  }
}

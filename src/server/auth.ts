// Tokens: presented as `Authorization: Bearer <token>` or `?token=` when a socket is opened or a
// request made; a token names its tenant and the devices it may send for (ids or glob patterns).
import type { TokenGrant } from "../config.js";
import { globToRegExp } from "../query/query.js";

/** What a connection may do once its token is checked. */
export interface Principal {
  tenant: string;
  mayWrite(device: string): boolean;
  /** Granted every device ("*"): may change what the whole process does (reload alert rules). */
  everyDevice: boolean;
}

/** Anyone, for the embedded default with no tokens configured (bound to 127.0.0.1). */
export const OPEN: Principal = { tenant: "default", mayWrite: () => true, everyDevice: true };

export class Authenticator {
  readonly #grants: Map<string, Principal>;

  constructor(tokens: Record<string, TokenGrant>) {
    this.#grants = new Map(
      Object.entries(tokens).map(([token, grant]) => {
        const patterns = grant.devices.map(globToRegExp);
        return [token, { tenant: grant.tenant, mayWrite: (d: string) => patterns.some((p) => p.test(d)), everyDevice: grant.devices.includes("*") }];
      }),
    );
  }

  get enabled(): boolean {
    return this.#grants.size > 0;
  }

  /** The principal for a token, or undefined when the token is unknown (or missing while required). */
  check(authorization: string, query: string): Principal | undefined {
    if (!this.enabled) return OPEN;
    return this.#grants.get(tokenOf(authorization, query));
  }
}

/** The token a request presents: `Authorization: Bearer …`, else `?token=`; "" when none. */
export function tokenOf(authorization: string, query: string): string {
  const bearer = authorization.startsWith("Bearer ") ? authorization.slice(7).trim() : "";
  return bearer || new URLSearchParams(query).get("token") || "";
}

/** A token bucket: `rate` per second with a burst of `burst`. */
export class TokenBucket {
  #tokens: number;
  #at: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(rate: number, burst = rate, now = performance.now()) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes `n` tokens if there are enough; `now` (performance.now()) may be read once for many buckets. */
  take(n = 1, now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}

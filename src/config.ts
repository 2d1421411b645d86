// iotpipe's configuration: one JSON file (optional) over built-in defaults, then environment overrides
// (IOTPIPE_PORT, IOTPIPE_DATA_DIR, IOTPIPE_WORKERS, IOTPIPE_PARTITIONS, IOTPIPE_REDIS_URL, IOTPIPE_ANALYTICS,
// IOTPIPE_ALERTS_FILE), then the
// command line's. Checked once at start-up; every module takes its part of it as data.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseWindowSpecs, WindowConfigError, type WindowSpec } from "./analytics/windows/window-spec.js";

/** A device token: what it may send, for which tenant. */
export interface TokenGrant {
  tenant: string;
  /** Device ids or glob patterns the token may send for ("*" for a gateway of the whole tenant). */
  devices: string[];
}

export interface Limits {
  /** Largest WebSocket message or HTTP body (bytes). */
  maxFrameBytes: number;
  maxReadingsPerFrame: number;
  /** Readings per second one device may send (token bucket, burst of one second). */
  perDeviceRate: number;
  /** Bytes of frames a connection may have in flight (decoded, not yet acknowledged) before it is paused. */
  connectionInFlightBytes: number;
  /** Bytes in flight across all connections before new frames are answered with retry-after. */
  globalInFlightBytes: number;
  /** New connections accepted per second; more are refused with 503 and Retry-After. */
  acceptPerSecond: number;
  /** Unacknowledged outgoing bytes (a client that never reads acks) before the connection is closed. */
  maxBackpressureBytes: number;
  /** Seconds without traffic before a connection is closed (slowloris). */
  idleTimeoutSeconds: number;
  /** Connections of one token closing within `flapShortLivedSeconds` of opening, per minute, that mark it flapping. */
  flapLimit: number;
  flapShortLivedSeconds: number;
  /** Seconds a flapping token's upgrades are refused (429 with Retry-After). */
  flapCooldownSeconds: number;
}

export interface Validation {
  /** How far (µs) a reading may be ahead of the server clock. */
  futureSkew: number;
  /** How far back (µs) a reading may be. */
  backfillLimit: number;
  /** NaN and ±∞: "reject" (default) or "keep". */
  nonFinite: "reject" | "keep";
  /** Devices missing from the registry file: "accept" (default) or "reject". */
  unknownDevices: "accept" | "reject";
  /**
   * Device clocks found steadily off by more than `skewTolerance`: "correct" (default) shifts their
   * timestamps by the estimated offset, "flag" only reports them (GET /v1/health, /metrics).
   */
  clockSkew: "correct" | "flag";
  /** Clock offset (µs) left alone (default 5 s). */
  skewTolerance: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  partitions: number;
  workers: number;
  /**
   * Nice value of the archive worker threads: when the cores are contended they yield to the thread
   * that reads sockets and evaluates alert rules (0 turns this off).
   */
  workerNice: number;
  /** Workers score and judge every batch they archive (anomaly, sensor health); off saves their CPU. */
  analytics: boolean;
  /** Redis URL for scale-out mode; absent: the in-process bus. */
  redisUrl?: string;
  /** Device registry file (JSON) with tags, tiers and channel specs; optional. */
  registryFile?: string;
  /** Alert rules and sinks (JSON, reloaded when it changes); absent: the registry's critical limits alert. */
  alertsFile?: string;
  /** Event-time windows the workers run (the file's "windows" list: see README); empty: none. */
  windows: WindowSpec[];
  /** Tokens; when empty, authentication is off (the embedded default, bound to 127.0.0.1). */
  tokens: Record<string, TokenGrant>;
  limits: Limits;
  validation: Validation;
}

export const DEFAULT_CONFIG: Config = {
  host: "127.0.0.1",
  port: 8080,
  dataDir: "./iotpipe-data",
  region: "local",
  partitions: 8,
  // One archive worker per core: the main thread's share (sockets, decoding) is light next to the
  // archive's, and on 2 cores two workers took 0.48 → 0.61 M readings/s in the ingest bench.
  workers: Math.max(1, availableParallelism()),
  workerNice: 10,
  analytics: true,
  windows: [],
  tokens: {},
  limits: {
    maxFrameBytes: 1 << 20,
    maxReadingsPerFrame: 50_000,
    perDeviceRate: 10_000,
    connectionInFlightBytes: 4 << 20,
    globalInFlightBytes: 256 << 20,
    acceptPerSecond: 5_000,
    maxBackpressureBytes: 1 << 20,
    idleTimeoutSeconds: 120,
    flapLimit: 20,
    flapShortLivedSeconds: 5,
    flapCooldownSeconds: 30,
  },
  validation: {
    futureSkew: 5 * 60e6,
    backfillLimit: 365 * 86_400e6,
    nonFinite: "reject",
    unknownDevices: "accept",
    clockSkew: "correct",
    skewTolerance: 5e6,
  },
};

/** Why a configuration was refused. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a configuration; throws ConfigError naming the first bad field. */
export function checkConfig(c: Config): Config {
  if (typeof c.host !== "string" || c.host === "") throw new ConfigError("host must be a non-empty string");
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) throw new ConfigError(`port must be 0..65535, got ${c.port}`);
  positiveInt("partitions", c.partitions);
  positiveInt("workers", c.workers);
  if (!Number.isInteger(c.workerNice) || c.workerNice < 0 || c.workerNice > 19) throw new ConfigError(`workerNice must be 0..19, got ${JSON.stringify(c.workerNice)}`);
  if (c.alertsFile !== undefined && (typeof c.alertsFile !== "string" || c.alertsFile === "")) throw new ConfigError("alertsFile must be a file path");
  if (typeof c.analytics !== "boolean") throw new ConfigError(`analytics must be true or false, got ${JSON.stringify(c.analytics)}`);
  for (const [k, v] of Object.entries(c.limits)) positiveInt(`limits.${k}`, v);
  if (!["reject", "keep"].includes(c.validation.nonFinite)) throw new ConfigError("validation.nonFinite must be reject or keep");
  if (!["accept", "reject"].includes(c.validation.unknownDevices)) throw new ConfigError("validation.unknownDevices must be accept or reject");
  if (!["correct", "flag"].includes(c.validation.clockSkew)) throw new ConfigError("validation.clockSkew must be correct or flag");
  if (!(c.validation.skewTolerance > 0)) throw new ConfigError("validation.skewTolerance must be a positive number of µs");
  for (const [token, grant] of Object.entries(c.tokens)) {
    if (typeof grant?.tenant !== "string" || !Array.isArray(grant.devices)) throw new ConfigError(`tokens.${token.slice(0, 4)}… needs tenant and devices`);
  }
  return c;
}

/** Overrides of a configuration: any field, and any part of `limits` and `validation`. */
export type ConfigOverrides = Partial<Omit<Config, "limits" | "validation">> & { limits?: Partial<Limits>; validation?: Partial<Validation> };

/** Defaults, overlaid with a config file (if given), the environment, then `overrides`. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  let fromFile: ConfigOverrides = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: ConfigOverrides = {};
  if (env.IOTPIPE_PORT) fromEnv.port = Number(env.IOTPIPE_PORT);
  if (env.IOTPIPE_DATA_DIR) fromEnv.dataDir = env.IOTPIPE_DATA_DIR;
  if (env.IOTPIPE_WORKERS) fromEnv.workers = Number(env.IOTPIPE_WORKERS);
  if (env.IOTPIPE_PARTITIONS) fromEnv.partitions = Number(env.IOTPIPE_PARTITIONS);
  if (env.IOTPIPE_REDIS_URL) fromEnv.redisUrl = env.IOTPIPE_REDIS_URL;
  if (env.IOTPIPE_ALERTS_FILE) fromEnv.alertsFile = env.IOTPIPE_ALERTS_FILE;
  if (env.IOTPIPE_ANALYTICS) fromEnv.analytics = !["off", "false", "0"].includes(env.IOTPIPE_ANALYTICS);
  let windows: WindowSpec[];
  try {
    windows = overrides.windows ?? parseWindowSpecs((fromFile as { windows?: unknown }).windows);
  } catch (err) {
    if (err instanceof WindowConfigError) throw new ConfigError(`config ${file}: ${err.message}`);
    throw err;
  }
  const c: Config = {
    ...DEFAULT_CONFIG,
    ...fromFile,
    ...fromEnv,
    ...overrides,
    limits: { ...DEFAULT_CONFIG.limits, ...fromFile.limits, ...overrides.limits },
    validation: { ...DEFAULT_CONFIG.validation, ...fromFile.validation, ...overrides.validation },
    tokens: { ...DEFAULT_CONFIG.tokens, ...fromFile.tokens, ...overrides.tokens },
    windows,
  };
  return checkConfig(c);
}

// Alert rules as the user writes them (one JSON file, reloadable) and the checked form the evaluator
// uses. Every field is validated: a bad file is refused whole, naming the first bad field, and the
// rules in force stay in force.
import { HEALTH, type HealthFinding } from "../analytics/kernels.js";
import { parseMatch, type Match } from "../analytics/series-match.js";

export type { Match } from "../analytics/series-match.js";

export type Severity = "critical" | "warning" | "info";
export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

/** What breaches a rule, per reading (threshold, rate) or per worker signal (anomaly, health), or over time (absence). */
export type Condition =
  | { kind: "threshold"; above?: number; below?: number }
  /** Change between consecutive readings (by their timestamps), in value units per `perSeconds`. */
  | { kind: "rate"; above?: number; below?: number; perSeconds: number }
  /** Nothing arrived for `seconds` (arrival time). */
  | { kind: "absence"; seconds: number }
  /** The anomaly kernel's score (0..1) of a batch's readings reached `above`. */
  | { kind: "anomaly"; above: number }
  /** The health kernel found any of these. */
  | { kind: "health"; findings: HealthFinding[]; mask: number }
  /** The registry's criticalAbove/criticalBelow (the built-in rule `registry-critical`). */
  | { kind: "critical" };

export interface AlertRule {
  name: string;
  severity: Severity;
  description?: string;
  match: Match;
  condition: Condition;
  /** Consecutive breaches, and event-time seconds since the first, before pending becomes firing. */
  forReadings: number;
  forSeconds: number;
  /** Consecutive clear readings before a firing alert resolves. */
  resolveReadings: number;
  /** Renotify while firing and unacknowledged, every this many seconds (0: never). */
  repeatSeconds: number;
  /** Raise the severity after this long firing unacknowledged. */
  escalate?: { afterSeconds: number; severity: Severity };
}

export interface WebhookSinkSpec {
  url: string;
  headers: Record<string, string>;
  /** Event types sent (default: all but pending and cancelled). */
  events: AlertEventType[];
  maxAttempts: number;
  timeoutSeconds: number;
}

export interface RedisStreamSinkSpec {
  /** Default: the configured redisUrl. */
  url?: string;
  key: string;
  maxLen: number;
  events: AlertEventType[];
}

export type AlertEventType = "pending" | "firing" | "cancelled" | "resolved" | "escalated" | "repeat" | "acknowledged";
export const EVENT_TYPES: readonly AlertEventType[] = ["pending", "firing", "cancelled", "resolved", "escalated", "repeat", "acknowledged"];
const NOTIFIED: AlertEventType[] = ["firing", "resolved", "escalated", "repeat", "acknowledged"];

export interface AlertConfig {
  rules: AlertRule[];
  /** The registry's critical thresholds raise alerts on arrival (default true). */
  registryCritical: boolean;
  webhooks: WebhookSinkSpec[];
  redisStream?: RedisStreamSinkSpec;
  /** Alert events kept in history (file and memory). */
  historyEvents: number;
}

/** Why an alert file was refused: `path` names the field. */
export class AlertConfigError extends Error {
  override readonly name = "AlertConfigError";
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

export const REGISTRY_CRITICAL: AlertRule = {
  name: "registry-critical",
  severity: "critical",
  description: "a reading beyond the registry's criticalAbove / criticalBelow",
  match: {},
  condition: { kind: "critical" },
  forReadings: 1,
  forSeconds: 0,
  resolveReadings: 1,
  repeatSeconds: 0,
};

type Json = Record<string, unknown>;

function object(path: string, v: unknown): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new AlertConfigError(path, "must be an object");
  return v as Json;
}

function onlyKeys(path: string, o: Json, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new AlertConfigError(`${path}.${k}`, `unknown field (expected one of ${allowed.join(", ")})`);
}

function finite(path: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new AlertConfigError(path, `must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegative(path: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const n = finite(path, v);
  if (n < 0) throw new AlertConfigError(path, `must be ≥ 0, got ${n}`);
  return n;
}

function count(path: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new AlertConfigError(path, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function strings(path: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === "string" && s !== "")) throw new AlertConfigError(path, "must be a non-empty list of non-empty strings");
  return v as string[];
}

function severity(path: string, v: unknown): Severity {
  if (!SEVERITIES.includes(v as Severity)) throw new AlertConfigError(path, `must be one of ${SEVERITIES.join(", ")}, got ${JSON.stringify(v)}`);
  return v as Severity;
}

function events(path: string, v: unknown): AlertEventType[] {
  if (v === undefined) return NOTIFIED;
  const list = strings(path, v)!;
  for (const e of list) if (!EVENT_TYPES.includes(e as AlertEventType)) throw new AlertConfigError(path, `unknown event type ${JSON.stringify(e)} (expected ${EVENT_TYPES.join(", ")})`);
  return list as AlertEventType[];
}

function bounds(path: string, o: Json): { above?: number; below?: number } {
  const above = o.above === undefined ? undefined : finite(`${path}.above`, o.above);
  const below = o.below === undefined ? undefined : finite(`${path}.below`, o.below);
  if (above === undefined && below === undefined) throw new AlertConfigError(path, "needs above or below");
  return { above, below };
}

const CONDITIONS = ["threshold", "rateOfChange", "absence", "anomaly", "health"];

function condition(path: string, rule: Json): Condition {
  const given = CONDITIONS.filter((k) => rule[k] !== undefined);
  if (given.length !== 1) throw new AlertConfigError(path, `needs exactly one of ${CONDITIONS.join(", ")}${given.length ? `, got ${given.join(" and ")}` : ""}`);
  const key = given[0];
  const p = `${path}.${key}`;
  const o = object(p, rule[key]);
  switch (key) {
    case "threshold":
      onlyKeys(p, o, ["above", "below"]);
      return { kind: "threshold", ...bounds(p, o) };
    case "rateOfChange": {
      onlyKeys(p, o, ["above", "below", "perSeconds"]);
      const perSeconds = o.perSeconds === undefined ? 1 : finite(`${p}.perSeconds`, o.perSeconds);
      if (perSeconds <= 0) throw new AlertConfigError(`${p}.perSeconds`, "must be > 0");
      return { kind: "rate", ...bounds(p, o), perSeconds };
    }
    case "absence": {
      onlyKeys(p, o, ["seconds"]);
      const seconds = finite(`${p}.seconds`, o.seconds);
      if (seconds <= 0) throw new AlertConfigError(`${p}.seconds`, "must be > 0");
      return { kind: "absence", seconds };
    }
    case "anomaly": {
      onlyKeys(p, o, ["above"]);
      const above = finite(`${p}.above`, o.above);
      if (above <= 0 || above > 1) throw new AlertConfigError(`${p}.above`, "must be in (0, 1]");
      return { kind: "anomaly", above };
    }
    default: {
      onlyKeys(p, o, ["findings"]);
      const findings = strings(`${p}.findings`, o.findings)!;
      let mask = 0;
      for (const f of findings) {
        if (!(f in HEALTH)) throw new AlertConfigError(`${p}.findings`, `unknown finding ${JSON.stringify(f)} (expected ${Object.keys(HEALTH).join(", ")})`);
        mask |= HEALTH[f as HealthFinding];
      }
      return { kind: "health", findings: findings as HealthFinding[], mask };
    }
  }
}

function rule(path: string, v: unknown): AlertRule {
  const o = object(path, v);
  onlyKeys(path, o, ["name", "severity", "description", "match", "for", "resolve", "repeatSeconds", "escalate", ...CONDITIONS]);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9_.:-]{1,64}$/.test(o.name)) throw new AlertConfigError(`${path}.name`, "must be 1–64 letters, digits or _ . : -");
  const cond = condition(path, o);
  const forSpec = o.for === undefined ? {} : object(`${path}.for`, o.for);
  onlyKeys(`${path}.for`, forSpec, ["readings", "seconds"]);
  const resolve = o.resolve === undefined ? {} : object(`${path}.resolve`, o.resolve);
  onlyKeys(`${path}.resolve`, resolve, ["readings"]);
  const r: AlertRule = {
    name: o.name,
    severity: severity(`${path}.severity`, o.severity ?? "warning"),
    description: typeof o.description === "string" ? o.description : undefined,
    match: parseMatch(`${path}.match`, o.match, (p, message) => new AlertConfigError(p, message)),
    condition: cond,
    forReadings: count(`${path}.for.readings`, forSpec.readings, 1),
    forSeconds: nonNegative(`${path}.for.seconds`, forSpec.seconds, 0),
    resolveReadings: count(`${path}.resolve.readings`, resolve.readings, 1),
    repeatSeconds: nonNegative(`${path}.repeatSeconds`, o.repeatSeconds, 0),
  };
  if (cond.kind === "absence" && (r.forReadings > 1 || r.forSeconds > 0)) throw new AlertConfigError(`${path}.for`, "does not apply to absence (its seconds are the wait)");
  if (o.escalate !== undefined) {
    const e = object(`${path}.escalate`, o.escalate);
    onlyKeys(`${path}.escalate`, e, ["afterSeconds", "severity"]);
    const afterSeconds = finite(`${path}.escalate.afterSeconds`, e.afterSeconds);
    if (afterSeconds <= 0) throw new AlertConfigError(`${path}.escalate.afterSeconds`, "must be > 0");
    const to = severity(`${path}.escalate.severity`, e.severity ?? "critical");
    if (SEVERITIES.indexOf(to) <= SEVERITIES.indexOf(r.severity)) throw new AlertConfigError(`${path}.escalate.severity`, `must be above the rule's severity ${r.severity}`);
    r.escalate = { afterSeconds, severity: to };
  }
  return r;
}

function webhook(path: string, v: unknown): WebhookSinkSpec {
  const o = object(path, v);
  onlyKeys(path, o, ["url", "headers", "events", "maxAttempts", "timeoutSeconds"]);
  if (typeof o.url !== "string" || !/^https?:\/\//.test(o.url)) throw new AlertConfigError(`${path}.url`, "must be an http(s) URL");
  const headers = o.headers === undefined ? {} : object(`${path}.headers`, o.headers);
  for (const [k, h] of Object.entries(headers)) if (typeof h !== "string") throw new AlertConfigError(`${path}.headers.${k}`, "must be a string");
  const timeoutSeconds = o.timeoutSeconds === undefined ? 5 : finite(`${path}.timeoutSeconds`, o.timeoutSeconds);
  if (timeoutSeconds <= 0) throw new AlertConfigError(`${path}.timeoutSeconds`, "must be > 0");
  return { url: o.url, headers: headers as Record<string, string>, events: events(`${path}.events`, o.events), maxAttempts: count(`${path}.maxAttempts`, o.maxAttempts, 8), timeoutSeconds };
}

function redisStream(path: string, v: unknown): RedisStreamSinkSpec {
  const o = object(path, v);
  onlyKeys(path, o, ["url", "key", "maxLen", "events"]);
  if (o.url !== undefined && (typeof o.url !== "string" || !/^rediss?:\/\//.test(o.url))) throw new AlertConfigError(`${path}.url`, "must be a redis:// URL");
  const key = o.key ?? "iotpipe:alerts";
  if (typeof key !== "string" || key === "") throw new AlertConfigError(`${path}.key`, "must be a non-empty string");
  return { url: o.url as string | undefined, key, maxLen: count(`${path}.maxLen`, o.maxLen, 100_000), events: events(`${path}.events`, o.events) };
}

/** Checks an alert file's parsed JSON; throws AlertConfigError naming the first bad field. */
export function parseAlertConfig(json: unknown): AlertConfig {
  const o = object("alerts", json);
  onlyKeys("alerts", o, ["rules", "registryCritical", "sinks", "historyEvents"]);
  const list = o.rules === undefined ? [] : o.rules;
  if (!Array.isArray(list)) throw new AlertConfigError("rules", "must be a list");
  const rules = list.map((r, i) => rule(`rules[${i}]`, r));
  const names = new Set<string>([REGISTRY_CRITICAL.name]);
  rules.forEach((r, i) => {
    if (names.has(r.name)) throw new AlertConfigError(`rules[${i}].name`, `${JSON.stringify(r.name)} is used twice (or is reserved)`);
    names.add(r.name);
  });
  if (o.registryCritical !== undefined && typeof o.registryCritical !== "boolean") throw new AlertConfigError("registryCritical", "must be true or false");
  const sinks = o.sinks === undefined ? {} : object("sinks", o.sinks);
  onlyKeys("sinks", sinks, ["webhooks", "redisStream"]);
  if (sinks.webhooks !== undefined && !Array.isArray(sinks.webhooks)) throw new AlertConfigError("sinks.webhooks", "must be a list");
  return {
    rules,
    registryCritical: o.registryCritical !== false,
    webhooks: ((sinks.webhooks as unknown[] | undefined) ?? []).map((w, i) => webhook(`sinks.webhooks[${i}]`, w)),
    redisStream: sinks.redisStream === undefined ? undefined : redisStream("sinks.redisStream", sinks.redisStream),
    historyEvents: count("historyEvents", o.historyEvents, 100_000),
  };
}

/** The configuration with no file: the registry's critical thresholds only. */
export const DEFAULT_ALERTS: AlertConfig = { rules: [], registryCritical: true, webhooks: [], historyEvents: 100_000 };

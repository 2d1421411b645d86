// Window definitions as the user writes them (the config file's "windows" list) and their checked
// form. Names as Flink's: a window assigner (tumbling, sliding, session), a key (series, device or
// zone), the watermark's out-of-orderness bound, the allowed lateness, and the aggregates to report.
import { parseMatch, type Match } from "../series-match.js";
import { isWindowAggregate, type WindowAggregate } from "./window-state.js";

export type WindowGroup = "series" | "device" | "zone";

/** A checked window definition (times in µs). */
export interface WindowSpec {
  name: string;
  kind: "tumbling" | "sliding" | "session";
  /** Window length (tumbling, sliding) and step (sliding: a divisor of size; tumbling: = size). */
  sizeUs: number;
  slideUs: number;
  /** Session windows: silence (event time) that ends a session. */
  gapUs: number;
  /** Aggregate each series, each device (its matched channels together) or each zone (per channel). */
  groupBy: WindowGroup;
  aggregates: WindowAggregate[];
  match: Match;
  /** The watermark trails a device's newest event time by this much. */
  outOfOrdernessUs: number;
  /** A fired window takes late readings (and fires again) until the watermark is this far past its end. */
  allowedLatenessUs: number;
  /** A device silent this long (arrival time) has its watermark moved on by the clock. */
  idleUs: number;
  /** Write results (and the late side output) back to the archive as derived series. */
  store: boolean;
}

/**
 * Whether a group window already emitted can be forgotten: the watermark is past its end by the allowed
 * lateness and, besides, a device's idle time has passed since its last emission (`sinceEmittedUs`,
 * clock time), so a device met late, its partition read behind the others', still joins it.
 */
export function groupWindowSpent(spec: WindowSpec, end: number, watermark: number, sinceEmittedUs: number): boolean {
  return watermark >= end + spec.allowedLatenessUs && sinceEmittedUs >= spec.idleUs;
}

/** Why a window definition was refused: `path` names the field. */
export class WindowConfigError extends Error {
  override readonly name = "WindowConfigError";
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

type Json = Record<string, unknown>;

function object(path: string, v: unknown): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new WindowConfigError(path, "must be an object");
  return v as Json;
}

function onlyKeys(path: string, o: Json, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new WindowConfigError(`${path}.${k}`, `unknown field (expected one of ${allowed.join(", ")})`);
}

function seconds(path: string, v: unknown, fallback?: number, zeroOk = false): number {
  if (v === undefined && fallback !== undefined) return fallback * 1e6;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!zeroOk && v === 0)) throw new WindowConfigError(path, `must be a ${zeroOk ? "non-negative" : "positive"} number of seconds, got ${JSON.stringify(v)}`);
  const us = Math.round(v * 1e6);
  if (us > 366 * 86_400e6) throw new WindowConfigError(path, "must be at most a year");
  return us;
}

const KINDS = ["tumbling", "sliding", "session"] as const;

function windowSpec(path: string, v: unknown): WindowSpec {
  const o = object(path, v);
  onlyKeys(path, o, ["name", ...KINDS, "groupBy", "aggregates", "match", "outOfOrdernessSeconds", "allowedLatenessSeconds", "idleSeconds", "store"]);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9_.-]{1,48}$/.test(o.name)) throw new WindowConfigError(`${path}.name`, "must be 1–48 letters, digits or _ . -");
  const given = KINDS.filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw new WindowConfigError(path, `needs exactly one of ${KINDS.join(", ")}`);
  const kind = given[0];
  const k = object(`${path}.${kind}`, o[kind]);
  let sizeUs = 0;
  let slideUs = 0;
  let gapUs = 0;
  if (kind === "session") {
    onlyKeys(`${path}.session`, k, ["gapSeconds"]);
    gapUs = seconds(`${path}.session.gapSeconds`, k.gapSeconds);
  } else {
    onlyKeys(`${path}.${kind}`, k, kind === "sliding" ? ["sizeSeconds", "slideSeconds"] : ["sizeSeconds"]);
    sizeUs = seconds(`${path}.${kind}.sizeSeconds`, k.sizeSeconds);
    slideUs = kind === "sliding" ? seconds(`${path}.sliding.slideSeconds`, k.slideSeconds) : sizeUs;
    if (sizeUs % slideUs !== 0 || sizeUs / slideUs > 1024) throw new WindowConfigError(`${path}.sliding.slideSeconds`, "must divide sizeSeconds, at most 1024 slides per window");
  }
  const groupBy = o.groupBy ?? "series";
  if (groupBy !== "series" && groupBy !== "device" && groupBy !== "zone") throw new WindowConfigError(`${path}.groupBy`, "must be series, device or zone");
  if (kind === "session" && groupBy !== "series") throw new WindowConfigError(`${path}.groupBy`, "session windows are per series (sessions of different series do not line up)");
  const aggregates = o.aggregates ?? ["count", "mean", "min", "max", "stddev", "p95"];
  if (!Array.isArray(aggregates) || aggregates.length === 0) throw new WindowConfigError(`${path}.aggregates`, "must be a non-empty list");
  for (const a of aggregates) if (typeof a !== "string" || !isWindowAggregate(a)) throw new WindowConfigError(`${path}.aggregates`, `unknown aggregate ${JSON.stringify(a)} (count, sum, min, max, mean, stddev, variance, first, last, rate, pNN)`);
  if (o.store !== undefined && typeof o.store !== "boolean") throw new WindowConfigError(`${path}.store`, "must be true or false");
  return {
    name: o.name,
    kind,
    sizeUs,
    slideUs,
    gapUs,
    groupBy,
    aggregates: aggregates as WindowAggregate[],
    match: parseMatch(`${path}.match`, o.match, (p, message) => new WindowConfigError(p, message)),
    outOfOrdernessUs: seconds(`${path}.outOfOrdernessSeconds`, o.outOfOrdernessSeconds, 5, true),
    allowedLatenessUs: seconds(`${path}.allowedLatenessSeconds`, o.allowedLatenessSeconds, 0, true),
    idleUs: seconds(`${path}.idleSeconds`, o.idleSeconds, 30, true),
    store: o.store !== false,
  };
}

/** Checks the config's "windows" list; throws WindowConfigError naming the first bad field. */
export function parseWindowSpecs(v: unknown): WindowSpec[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new WindowConfigError("windows", "must be a list");
  const specs = v.map((w, i) => windowSpec(`windows[${i}]`, w));
  const names = new Set<string>();
  specs.forEach((s, i) => {
    if (names.has(s.name)) throw new WindowConfigError(`windows[${i}].name`, `${JSON.stringify(s.name)} is used twice`);
    names.add(s.name);
  });
  return specs;
}

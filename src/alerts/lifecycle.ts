// An alert's life: pending (breached, not yet for long enough) → firing → resolved (clear for long
// enough), or pending → cancelled. One alert per (rule, device, channel) at a time: breaches of a
// firing alert update it, they never open another. Firing alerts that nobody acknowledges escalate
// after the rule's delay and are renotified at its repeat interval. Every change is an event.
import { findingNames } from "../analytics/kernels.js";
import type { AlertEventType, AlertRule, Severity } from "./rules.js";

export type AlertState = "pending" | "firing" | "resolved" | "cancelled";

export interface Alert {
  id: string;
  rule: string;
  device: string;
  channel: string;
  state: AlertState;
  severity: Severity;
  summary: string;
  /** The latest breaching value (for absence: seconds silent; anomaly: score; health: finding bits). */
  value: number;
  /** The breaching value furthest from normal so far. */
  worst: number;
  breaches: number;
  /** Event time (µs) of the first breach, and of the latest. */
  since: number;
  lastBreach: number;
  /** Wall-clock times (µs). */
  firedAt?: number;
  resolvedAt?: number;
  escalated: boolean;
  acknowledged?: { by: string; at: number };
}

export interface AlertEvent {
  type: AlertEventType;
  /** Wall-clock time (µs). */
  at: number;
  alert: Alert;
}

/** One rule watching one series: the breach and clear runs the lifecycle counts. */
export interface Track {
  readonly rule: AlertRule;
  readonly device: string;
  readonly channel: string;
  breaches: number;
  clears: number;
  /** Event time of the run's first breach. */
  runStart: number;
  alert?: Alert;
}

/** The states an alert can be found in (not closed). */
const OPEN = new Set<AlertState>(["pending", "firing"]);

export function alertKey(rule: string, device: string, channel: string): string {
  return `${rule}\u0000${device}\u0000${channel}`;
}

function further(rule: AlertRule, a: number, b: number): number {
  const c = rule.condition;
  if ((c.kind === "threshold" || c.kind === "rate") && c.above === undefined) return Math.min(a, b);
  if (c.kind === "health") return a | b;
  return Math.max(a, b);
}

function describe(rule: AlertRule, device: string, channel: string, value: number): string {
  const c = rule.condition;
  const where = `${channel} of ${device}`;
  switch (c.kind) {
    case "threshold":
      return `${where} ${c.above !== undefined && value > c.above ? `above ${c.above}` : `below ${c.below}`} (${value})`;
    case "rate":
      return `${where} changing at ${value.toPrecision(4)} per ${c.perSeconds} s (limit ${c.above !== undefined && value > c.above ? `+${c.above}` : c.below})`;
    case "absence":
      return `nothing from ${where} for ${Math.round(value)} s (limit ${c.seconds} s)`;
    case "anomaly":
      return `${where} anomalous (score ${value.toFixed(2)} ≥ ${c.above})`;
    case "health":
      return `${where}: ${findingNames(value & c.mask).join(", ")} found`;
    case "critical":
      return `${where} beyond the registry's critical limit (${value})`;
  }
}

/** Every open alert, the tracks that feed them, and the events they make. */
export class AlertBook {
  readonly #open = new Map<string, Alert>();
  readonly #emit: (e: AlertEvent) => void;
  readonly #rules = new Map<string, AlertRule>();
  /** Wall time each firing alert was last notified, for repeats. */
  readonly #notified = new Map<string, number>();
  #nextId = 0;
  readonly #idPrefix = Date.now().toString(36);

  constructor(emit: (e: AlertEvent) => void) {
    this.#emit = emit;
  }

  #event(type: AlertEventType, alert: Alert, at: number): void {
    this.#emit({ type, at, alert: { ...alert, acknowledged: alert.acknowledged && { ...alert.acknowledged } } });
  }

  /** A track for `rule` on a series; an open alert of the same key (from before a reload or restart) is taken up. */
  track(rule: AlertRule, device: string, channel: string): Track {
    this.#rules.set(rule.name, rule);
    const alert = this.#open.get(alertKey(rule.name, device, channel));
    return { rule, device, channel, breaches: 0, clears: 0, runStart: 0, alert };
  }

  /** Takes up alerts that were open when the process stopped (from history). */
  restore(alerts: Alert[]): void {
    for (const a of alerts) if (OPEN.has(a.state)) this.#open.set(alertKey(a.rule, a.device, a.channel), a);
  }

  /** A breaching observation of a track: `value` at event time `ts`, seen at wall time `now`. */
  breach(t: Track, value: number, ts: number, now: number): void {
    const rule = t.rule;
    t.clears = 0;
    if (t.breaches++ === 0) t.runStart = ts;
    let a = t.alert;
    if (a && !OPEN.has(a.state)) a = t.alert = undefined;
    if (!a) {
      a = t.alert = {
        id: `${this.#idPrefix}-${(this.#nextId++).toString(36)}`,
        rule: rule.name,
        device: t.device,
        channel: t.channel,
        state: "pending",
        severity: rule.severity,
        summary: "",
        value,
        worst: value,
        breaches: 0,
        since: ts,
        lastBreach: ts,
        escalated: false,
      };
      this.#open.set(alertKey(rule.name, t.device, t.channel), a);
    }
    a.value = value;
    a.worst = a.breaches === 0 ? value : further(rule, a.worst, value);
    a.breaches++;
    a.lastBreach = Math.max(a.lastBreach, ts);
    a.summary = describe(rule, t.device, t.channel, value);
    if (a.state === "pending") {
      if (t.breaches >= rule.forReadings && ts - t.runStart >= rule.forSeconds * 1e6) {
        a.state = "firing";
        a.firedAt = now;
        this.#notified.set(a.id, now);
        this.#event("firing", a, now);
      } else if (a.breaches === 1) {
        this.#event("pending", a, now);
      }
    }
  }

  /** A clear observation of a track (seen at wall time `now`). */
  clear(t: Track, now: number): void {
    t.breaches = 0;
    const a = t.alert;
    if (!a || !OPEN.has(a.state)) return;
    if (a.state === "pending") return this.#close(t, a, "cancelled", now);
    if (++t.clears >= t.rule.resolveReadings) this.#close(t, a, "resolved", now);
  }

  #close(t: Track | undefined, a: Alert, state: "cancelled" | "resolved", now: number): void {
    a.state = state;
    if (state === "resolved") a.resolvedAt = now;
    this.#open.delete(alertKey(a.rule, a.device, a.channel));
    this.#notified.delete(a.id);
    if (t) t.alert = undefined;
    this.#event(state, a, now);
  }

  /** Resolves open alerts whose rule is gone (after a reload). */
  retire(ruleNames: Set<string>, now: number): void {
    for (const a of [...this.#open.values()]) {
      if (ruleNames.has(a.rule)) continue;
      a.summary = `${a.summary} — rule removed`;
      this.#close(undefined, a, a.state === "pending" ? "cancelled" : "resolved", now);
    }
  }

  /** Escalates and renotifies firing alerts that nobody acknowledged; run it every second or so. */
  tick(now: number): void {
    for (const a of this.#open.values()) {
      if (a.state !== "firing" || a.acknowledged) continue;
      const rule = this.#rules.get(a.rule);
      if (!rule) continue;
      if (rule.escalate && !a.escalated && now - (a.firedAt ?? now) >= rule.escalate.afterSeconds * 1e6) {
        a.escalated = true;
        a.severity = rule.escalate.severity;
        this.#notified.set(a.id, now);
        this.#event("escalated", a, now);
      } else if (rule.repeatSeconds > 0 && now - (this.#notified.get(a.id) ?? now) >= rule.repeatSeconds * 1e6) {
        this.#notified.set(a.id, now);
        this.#event("repeat", a, now);
      }
    }
  }

  /** Acknowledges an open alert: no more escalation or repeats. Undefined when no open alert has that id. */
  acknowledge(id: string, by: string, now: number): Alert | undefined {
    for (const a of this.#open.values()) {
      if (a.id !== id) continue;
      if (!a.acknowledged) {
        a.acknowledged = { by, at: now };
        this.#event("acknowledged", a, now);
      }
      return a;
    }
    return undefined;
  }

  /** Open alerts (pending and firing), most severe first, then oldest. */
  open(): Alert[] {
    const rank = (s: Severity) => (s === "critical" ? 0 : s === "warning" ? 1 : 2);
    return [...this.#open.values()].sort((a, b) => rank(a.severity) - rank(b.severity) || a.since - b.since);
  }
}

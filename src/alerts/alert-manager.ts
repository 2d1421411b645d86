// The alerts of one iotpipe process: rules from a JSON file (checked, reloaded when the file changes
// or on request; a bad file is refused and the rules in force stay), their evaluation on arriving
// readings and on the workers' signals, the lifecycle book, history, and the sinks (subscribers of
// WS /v1/alerts, webhooks, a Redis stream).
import { readFileSync, watchFile, unwatchFile } from "node:fs";
import { join } from "node:path";
import { AlertBook, type Alert, type AlertEvent } from "./lifecycle.js";
import { RuleEvaluator, type DeviceFacts, type ReadingBatch, type SeriesSignal, type SignalFilter } from "./evaluator.js";
import { AlertHistory, type HistoryQuery } from "./history.js";
import { DEFAULT_ALERTS, parseAlertConfig, AlertConfigError, REGISTRY_CRITICAL, type AlertConfig, type AlertEventType } from "./rules.js";
import type { DeliveryQueue } from "./delivery.js";
import { webhookSink } from "./sinks/webhook.js";
import { redisStreamSink } from "./sinks/redis-stream.js";

export interface AlertManagerOptions {
  dataDir: string;
  /** The rules file; absent: only the registry's critical limits raise alerts. */
  file?: string;
  facts: DeviceFacts;
  /** For a Redis stream sink that names no URL of its own. */
  redisUrl?: string;
  log?: (line: string) => void;
  /** How often absence and escalation are checked (ms, default 250). */
  tickMs?: number;
}

/** What a reload did. */
export interface ReloadResult {
  ok: boolean;
  rules: number;
  error?: string;
}

interface Sink {
  queue: DeliveryQueue;
  events: Set<AlertEventType>;
  close(): Promise<void>;
}

/** Reads and checks a rules file; throws AlertConfigError. */
export function readAlertFile(file: string): AlertConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AlertConfigError(file, `cannot read: ${(err as Error).message}`);
  }
  return parseAlertConfig(json);
}

const now = () => Date.now() * 1000;

export class AlertManager {
  readonly #options: AlertManagerOptions;
  readonly #book: AlertBook;
  readonly #history: AlertHistory;
  readonly #subscribers = new Set<(e: AlertEvent) => void>();
  readonly #filterListeners = new Set<(f: SignalFilter) => void>();
  readonly #timer: NodeJS.Timeout;
  readonly #counts = new Map<AlertEventType, number>();
  #config: AlertConfig;
  #evaluator: RuleEvaluator;
  #sinks: Sink[] = [];
  reloadFailures = 0;

  private constructor(options: AlertManagerOptions, config: AlertConfig, history: AlertHistory) {
    this.#options = options;
    this.#history = history;
    this.#config = config;
    this.#book = new AlertBook((e) => this.#emit(e));
    this.#book.restore(history.openAlerts());
    this.#evaluator = new RuleEvaluator(config.rules, config.registryCritical, options.facts, this.#book, now());
    this.#sinks = this.#startSinks(config);
    this.#timer = setInterval(() => this.tick(now()), options.tickMs ?? 250);
    this.#timer.unref();
    if (options.file) watchFile(options.file, { interval: 1000 }, () => this.#reloadLogged());
  }

  /** Opens history, reads the rules file (throws AlertConfigError when it is bad) and starts evaluating. */
  static async open(options: AlertManagerOptions): Promise<AlertManager> {
    const config = options.file ? readAlertFile(options.file) : DEFAULT_ALERTS;
    const history = await AlertHistory.open(join(options.dataDir, "alerts", "history.jsonl"), config.historyEvents);
    if (history.unreadable > 0) options.log?.(`alert history: ${history.unreadable} unreadable line(s) skipped`);
    return new AlertManager(options, config, history);
  }

  #startSinks(config: AlertConfig): Sink[] {
    const sinks: Sink[] = config.webhooks.map((w) => {
      const queue = webhookSink(w);
      return { queue, events: new Set(w.events), close: () => queue.close() };
    });
    const r = config.redisStream;
    const url = r?.url ?? this.#options.redisUrl;
    if (r && url) sinks.push({ ...redisStreamSink(r, url), events: new Set(r.events) });
    else if (r) this.#options.log?.("alerts: sinks.redisStream needs a url (or a configured redisUrl); not started");
    return sinks;
  }

  #emit(e: AlertEvent): void {
    this.#counts.set(e.type, (this.#counts.get(e.type) ?? 0) + 1);
    this.#history.append(e);
    for (const s of this.#sinks) if (s.events.has(e.type)) s.queue.push(e);
    for (const fn of this.#subscribers) fn(e);
  }

  /** Evaluates the reading rules on a batch of accepted readings, on arrival (wall time `at`, µs). */
  observe(batch: ReadingBatch, at = now()): void {
    this.#evaluator.observe(batch, at);
  }

  /** Evaluates the anomaly and health rules on workers' signals. */
  signals(list: SeriesSignal[], at = now()): void {
    this.#evaluator.signals(list, at);
  }

  /** What workers must report for the rules in force. */
  get signalFilter(): SignalFilter {
    return this.#evaluator.filter;
  }

  /** Calls `fn` with the signal filter now and after every reload that changes it. */
  onSignalFilter(fn: (f: SignalFilter) => void): void {
    this.#filterListeners.add(fn);
    fn(this.signalFilter);
  }

  /** Checks absence, escalation and repeats as of wall time `at` (µs). */
  tick(at: number): void {
    this.#evaluator.sweep(at);
    this.#book.tick(at);
  }

  /** Re-reads the rules file. A bad file changes nothing and says why. */
  async reload(): Promise<ReloadResult> {
    if (!this.#options.file) return { ok: true, rules: this.#config.rules.length };
    let config: AlertConfig;
    try {
      config = readAlertFile(this.#options.file);
    } catch (err) {
      this.reloadFailures++;
      return { ok: false, rules: this.#config.rules.length, error: (err as Error).message };
    }
    const before = JSON.stringify(this.signalFilter);
    const old = this.#sinks;
    this.#config = config;
    this.#evaluator = new RuleEvaluator(config.rules, config.registryCritical, this.#options.facts, this.#book, now());
    this.#book.retire(new Set([...config.rules.map((r) => r.name), ...(config.registryCritical ? [REGISTRY_CRITICAL.name] : [])]), now());
    this.#sinks = this.#startSinks(config);
    await Promise.all(old.map((s) => s.close()));
    if (JSON.stringify(this.signalFilter) !== before) for (const fn of this.#filterListeners) fn(this.signalFilter);
    return { ok: true, rules: config.rules.length };
  }

  #reloadLogged(): void {
    this.reload().then((r) => this.#options.log?.(r.ok ? `alerts: ${r.rules} rule(s) loaded from ${this.#options.file}` : `alerts: rules file refused, previous rules stay: ${r.error}`));
  }

  /** Acknowledges an open alert (stops its escalation and repeats); undefined when none has that id. */
  acknowledge(id: string, by: string): Alert | undefined {
    return this.#book.acknowledge(id, by, now());
  }

  /** Open alerts, most severe first. */
  active(): Alert[] {
    return this.#book.open();
  }

  history(q: HistoryQuery, visible?: (device: string) => boolean): AlertEvent[] {
    return this.#history.query(q, visible);
  }

  /** Every event from now on; returns the unsubscribe function. */
  subscribe(fn: (e: AlertEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  /** Gauges and counters for /metrics. */
  gauges(): Record<string, number> {
    const g: Record<string, number> = {
      iotpipe_alerts_open: this.#book.open().length,
      iotpipe_alert_tracks: this.#evaluator.tracks,
      iotpipe_alert_rule_reload_failures: this.reloadFailures,
      iotpipe_alert_history_write_failing: this.#history.lastError ? 1 : 0,
    };
    for (const [type, n] of this.#counts) g[`iotpipe_alert_events_${type}`] = n;
    this.#sinks.forEach((s, i) => {
      g[`iotpipe_alert_sink${i}_delivered`] = s.queue.stats.delivered;
      g[`iotpipe_alert_sink${i}_failures`] = s.queue.stats.failures;
      g[`iotpipe_alert_sink${i}_dropped`] = s.queue.stats.dropped;
      g[`iotpipe_alert_sink${i}_queued`] = s.queue.stats.queued;
    });
    return g;
  }

  /** Stops evaluating; delivers what the sinks hold (briefly) and writes history out. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#options.file) unwatchFile(this.#options.file);
    await Promise.all(this.#sinks.map((s) => s.close()));
    await this.#history.flush();
  }
}

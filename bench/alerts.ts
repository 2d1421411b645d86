// The alert-latency bench: reading arrival → alert emitted, p99, at twice the sustainable load. First
// the gateway-binary load at its maximum on a fresh server gives the sustainable rate R; then a fresh
// server is offered 2 R (twice the gateways, paced at 2 R together) while a probe device sends a
// reading beyond its registry critical limit every 20 ms and a WS /v1/alerts subscriber times each
// firing alert. The routine traffic is watched by a threshold rule as well, so every reading is
// evaluated. `npm run bench:alerts -- [--json] [--quick]`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { startIotpipeServer, serverMetrics } from "./ingest/iotpipe-server.js";
import { measureLoad } from "./ingest/measure.js";
import { scenarios, sizedFor, type LoadScenario } from "./ingest/scenarios.js";
import { round, roundOrNull } from "./ingest/emit.js";
import { BENCH_SEED } from "./datasets/prng.js";
import { AlertProbe, PROBE_CHANNEL, PROBE_DEVICE, PROBE_LIMIT } from "./alerts/probe.js";

const { values: args } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
const cores = availableParallelism();
const emit = (row: Record<string, unknown>) => console.log(args.json ? JSON.stringify({ bench: "alerts", cores, ...row }) : Object.entries(row).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("  "));
const progress = (text: string) => process.stderr.write(`[alerts] ${text}\n`);
const PROBE_EVERY_MS = 20;

const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-alerts-"));
const registryFile = join(dir, "registry.json");
const alertsFile = join(dir, "alerts.json");
writeFileSync(registryFile, JSON.stringify({ devices: { [PROBE_DEVICE]: { tier: "standard", channels: { [PROBE_CHANNEL]: { criticalAbove: PROBE_LIMIT } } } } }));
writeFileSync(alertsFile, JSON.stringify({ rules: [{ name: "routine-ceiling", severity: "warning", match: { channels: ["temp", "pressure"] }, threshold: { above: 1e9 } }] }));
const config = { registryFile, alertsFile };

async function main(): Promise<void> {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout?.trim() || null;
  emit({ figure: "run", quick: args.quick, commit, load_average: round(loadavg()[0], 2), node: process.version });
  const base = scenarios(args.quick).load.find((s) => s.name === "gateway-binary")!;

  progress("sustainable load: gateway-binary at max");
  const first = await startIotpipeServer({ config });
  const sustainable = await measureLoad(base, `ws://127.0.0.1:${first.port}/v1/ingest`, first.pid, BENCH_SEED).finally(() => first.stop());
  const r = sustainable.window.readingsPerSecond;
  emit({ figure: "sustainable_readings_per_s", value: Math.round(r), unit: "readings/s", server_cores: round(sustainable.serverCores, 2) });

  const offered = 2 * r;
  const overload: LoadScenario = sizedFor({ ...base, connections: base.connections * 2, halfLoad: false }, offered);
  progress(`2× load: ${overload.connections} gateways offered ${Math.round(offered)} readings/s, probe every ${PROBE_EVERY_MS} ms`);
  const server = await startIotpipeServer({ config });
  const probe = await AlertProbe.connect(server.port);
  probe.start(PROBE_EVERY_MS);
  const measured = measureLoad(overload, `ws://127.0.0.1:${server.port}/v1/ingest`, server.pid, BENCH_SEED, offered, {
    atWindowStart: () => probe.measure(true),
    atWindowEnd: () => probe.measure(false),
  });
  const m = await measured.catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  const result = await probe.stop(1000);
  const counters = await serverMetrics(server.port);
  await server.stop();
  const p99 = result.alert.quantile(0.99);
  emit({
    figure: "alert_latency_p99_ms",
    value: roundOrNull(p99, 2),
    unit: "ms",
    goal: 50,
    met: p99 === null ? null : p99 < 50 && result.alertsReceived === result.breachesSent,
    p50_ms: roundOrNull(result.alert.quantile(0.5), 2),
    max_ms: round(result.alert.max, 2),
    breaches_sent: result.breachesSent,
    alerts_received: result.alertsReceived,
    measured: "probe's breaching reading sent → its firing event received on WS /v1/alerts (same machine, same clock)",
    probe_ack_ms: { p50: roundOrNull(result.ack.quantile(0.5), 1), p99: roundOrNull(result.ack.quantile(0.99), 1), measured: "the same frames' durable acknowledgements" },
    offered_readings_per_s: Math.round(offered),
    achieved_readings_per_s: Math.round(m.window.readingsPerSecond),
    generator_lag_ms: { mean: roundOrNull(m.window.lagMeanMs ?? null, 1), max: roundOrNull(m.window.lagMaxMs ?? null, 1), measured: "how far the generators fell behind the offered pace: the server could not take 2 R" },
    server_cores: round(m.serverCores, 2),
    server_rss_mb: round(m.rss / 2 ** 20, 1),
    server_alert_events_firing: counters.iotpipe_alert_events_firing ?? null,
    server_event_loop_delay_ms: { p99: counters.iotpipe_event_loop_delay_p99_ms, max: counters.iotpipe_event_loop_delay_max_ms },
    server_gc_pause_max_ms: counters.iotpipe_gc_pause_max_ms,
    load_average: round(loadavg()[0], 2),
  });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));

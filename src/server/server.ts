// The network face (uWebSockets.js): WS /v1/ingest for devices and gateways, POST /v1/write (and
// /write, for Telegraf's outputs.influxdb) for line protocol, POST /v1/query, GET /v1/health, the alerts
// (WS /v1/alerts, GET /v1/alerts/active and /v1/alerts/history, POST /v1/alerts/ack and /v1/alerts/reload),
// fired windows (WS /v1/windows), GET /metrics and /health.
// Auth happens before a socket exists; backpressure pauses a connection whose frames are not yet
// durable, answers retry-after when a connection or the whole server has too much in flight (this uWS
// build cannot pause a WebSocket's reads), and closes clients that never read their acks.
import { gunzipSync } from "node:zlib";
import uWS from "./uws.js";
import type { HttpResponse, WebSocket, us_listen_socket } from "uWebSockets.js";
import type { Config } from "../config.js";
import { Authenticator, TokenBucket, tokenOf, type Principal } from "./auth.js";
import { FlapDetector } from "./flapping.js";
import { FrameTurns, type Turns } from "./frame-turns.js";
import type { ServerMetrics } from "./metrics.js";
import type { Intake, IntakeResult, FrameKind } from "../ingest/intake.js";
import type { Query, QueryResult } from "../query/query.js";
import type { DeviceHealth } from "../analytics/stream-analytics.js";
import type { AlertManager } from "../alerts/alert-manager.js";
import type { AlertEvent } from "../alerts/lifecycle.js";
import { EVENT_TYPES, type AlertEventType } from "../alerts/rules.js";
import type { WindowFeed } from "../analytics/windows/window-feed.js";
import { serveWindows } from "./window-routes.js";

/** A WS /v1/alerts subscriber. */
interface Subscriber {
  principal: Principal;
  unsubscribe?: () => void;
}

/** A time in a query string: µs since the epoch, or an ISO 8601 date. */
function timeParam(v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`${JSON.stringify(v)} is neither µs since the epoch nor an ISO 8601 time`);
  return ms * 1000;
}

interface Connection extends Turns {
  principal: Principal;
  /** The token it presented ("" when authentication is off), for flapping detection. */
  token: string;
  openedAt: number;
  inFlight: number;
  closed: boolean;
  /** Acks ready to go, sent together (one write) at the end of the tick they became ready in. */
  acks: string[];
}

export interface ServerDeps {
  intake: Intake;
  metrics: ServerMetrics;
  /** Answers POST /v1/query (the worker pool's archives, or the worker processes in scale-out mode). */
  query: (q: Query) => Promise<QueryResult>;
  /** Answers GET /v1/health: every device's health, least healthy first (the worker threads', or the worker processes' in scale-out mode). */
  health?: () => Promise<DeviceHealth[]>;
  /** The process's alerts: served on WS /v1/alerts and /v1/alerts/*. */
  alerts?: AlertManager;
  /** Event-time windows as they fire: served on WS /v1/windows. */
  windows?: WindowFeed;
  /** Extra gauges for /metrics (e.g. bus backlog). */
  gauges?: () => Record<string, number>;
  /** Extra counters for /metrics, kept elsewhere (e.g. the dispatcher's appends). */
  counters?: () => Record<string, number>;
  /**
   * Let other processes listen on the same port (SO_REUSEPORT; the kernel spreads connections): for
   * several scale-out ingest processes on one machine. Off, a second server on the port fails to start.
   */
  sharePort?: boolean;
}

export interface RunningServer {
  port: number;
  /** Stops listening and closes every connection (pending acknowledgements are not sent). */
  close(): void;
}

function ackMessage(r: IntakeResult): string {
  return JSON.stringify(r.error ? { ack: r.seq ?? null, error: r.error } : { ack: r.seq ?? null, accepted: r.accepted, rejected: r.rejected });
}

/** uWS listen options (its typings omit the host + options form, which both builds accept). */
const LISTEN_SHARED = 0;
const LISTEN_EXCLUSIVE = 1;

function sendAcks(ws: WebSocket<Connection>, c: Connection): void {
  const acks = c.acks;
  c.acks = [];
  if (c.closed) return;
  ws.cork(() => {
    for (const ack of acks) ws.send(ack);
  });
}

/** How to answer an HTTP request once, later (after awaiting): nothing is written to a client that went away. */
function replyOnce(res: HttpResponse, contentType?: string): (status: string, body?: string) => void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  return (status, body = "") => {
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(status);
      if (contentType) res.writeHeader("Content-Type", contentType);
      res.end(body);
    });
  };
}

/**
 * Reads a request body, copied once out of uWS's reused chunks: straight into a buffer of the declared
 * Content-Length when there is one (what Telegraf and fetch send), else chunk by chunk and joined at the
 * end. `undefined` when the body passes `limit` or does not match its declared length. Call it before
 * the handler returns: it reads `req`, which uWS invalidates after.
 */
function readBody(res: HttpResponse, req: uWS.HttpRequest, limit: number, onDone: (body: Buffer | undefined) => void): void {
  const declared = req.getHeader("content-length");
  const length = declared === "" ? -1 : Number(declared);
  if (length >= 0 && length <= limit && Number.isInteger(length)) return readDeclared(res, length, onDone);
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, isLast) => {
    size += chunk.byteLength;
    if (size > limit) {
      if (isLast || size - chunk.byteLength <= limit) onDone(undefined);
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) onDone(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  });
}

function readDeclared(res: HttpResponse, length: number, onDone: (body: Buffer | undefined) => void): void {
  const body = Buffer.allocUnsafe(length);
  let size = 0;
  res.onData((chunk, isLast) => {
    const fits = size + chunk.byteLength <= length;
    if (fits) body.set(new Uint8Array(chunk), size);
    size += chunk.byteLength;
    if (isLast) onDone(fits && size === length ? body : undefined);
  });
}

/** Starts listening; resolves with the bound port. */
export function startServer(config: Config, deps: ServerDeps): Promise<RunningServer> {
  const { intake, metrics } = deps;
  const auth = new Authenticator(config.tokens);
  const accepts = new TokenBucket(config.limits.acceptPerSecond);
  const flaps = new FlapDetector(config.limits.flapLimit, config.limits.flapShortLivedSeconds, config.limits.flapCooldownSeconds);
  const limits = config.limits;
  const overloaded = () => metrics.inFlightBytes > limits.globalInFlightBytes;
  const open = new Set<WebSocket<Connection>>();
  const turns = new FrameTurns();

  const release = (c: Connection, size: number) => {
    c.inFlight -= size;
    metrics.inFlightBytes -= size;
  };
  // The frame's bytes are not in what waits for its acknowledgement (only the socket and the size
  // are): thousands of frames wait for an fsync at once.
  const takeFrame = (ws: WebSocket<Connection>, c: Connection, kind: FrameKind, payload: Uint8Array | string, size: number) => {
    // A frame of a connection that closed while it waited: its device resends it.
    if (c.closed) return release(c, size);
    intake.ingest(kind, payload, c.principal, {}).then((result) => {
      release(c, size);
      if (c.closed) return;
      // Frames made durable by the same fsync resolve in the same tick: their acks share one write.
      if (c.acks.push(ackMessage(result)) === 1) setImmediate(() => sendAcks(ws, c));
    });
  };

  const app = uWS.App();
  app.ws<Connection>("/v1/ingest", {
    maxPayloadLength: limits.maxFrameBytes,
    idleTimeout: Math.max(8, limits.idleTimeoutSeconds),
    maxBackpressure: limits.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    upgrade: (res, req, context) => {
      const authorization = req.getHeader("authorization");
      const query = req.getQuery() ?? "";
      const key = req.getHeader("sec-websocket-key");
      const protocol = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      if (!accepts.take()) {
        metrics.refused.inc(1, "accept_rate");
        res.writeStatus("503 Service Unavailable").writeHeader("Retry-After", "1").end("too many new connections");
        return;
      }
      const principal = auth.check(authorization, query);
      if (!principal) {
        metrics.refused.inc(1, "unauthorized");
        res.writeStatus("401 Unauthorized").end("a valid token is required");
        return;
      }
      const token = auth.enabled ? tokenOf(authorization, query) : "";
      const wait = token ? flaps.blockedFor(token) : 0;
      if (wait > 0) {
        metrics.refused.inc(1, "flapping");
        res.writeStatus("429 Too Many Requests").writeHeader("Retry-After", String(Math.ceil(wait / 1000))).end("reconnecting too often");
        return;
      }
      res.upgrade<Connection>({ principal, token, openedAt: Date.now(), inFlight: 0, closed: false, acks: [], waiting: 0 }, key, protocol, extensions, context);
    },
    open: (ws: WebSocket<Connection>) => {
      open.add(ws);
      metrics.connections.inc();
      metrics.openConnections++;
    },
    message: (ws: WebSocket<Connection>, message: ArrayBuffer, isBinary: boolean) => {
      const c = ws.getUserData();
      const size = message.byteLength;
      // uWS reuses `message` after this callback returns: take a copy before anything asynchronous.
      const kind: FrameKind = isBinary ? "binary" : "text";
      const payload: Uint8Array | string = isBinary ? new Uint8Array(message.slice(0)) : Buffer.from(message).toString("utf8");
      if (overloaded() || c.inFlight + size > limits.connectionInFlightBytes) {
        // Not read, not kept: the device resends it after the pause it is told.
        metrics.refused.inc(1, overloaded() ? "overloaded" : "connection_full");
        ws.send(JSON.stringify({ ack: null, error: { code: "RETRY", message: "too much in flight" }, retryAfter: 1 }));
        return;
      }
      c.inFlight += size;
      metrics.inFlightBytes += size;
      turns.offer(c, size, () => takeFrame(ws, c, kind, payload, size));
    },
    close: (ws: WebSocket<Connection>) => {
      open.delete(ws);
      const c = ws.getUserData();
      c.closed = true;
      if (c.token) flaps.closed(c.token, c.openedAt);
      metrics.openConnections--;
    },
  });

  const write = (res: HttpResponse, req: uWS.HttpRequest) => {
    const principal = auth.check(req.getHeader("authorization"), req.getQuery() ?? "");
    const gzip = req.getHeader("content-encoding") === "gzip";
    const precision = new URLSearchParams(req.getQuery() ?? "").get("precision") ?? "ns";
    const reply = replyOnce(res);
    if (!principal) {
      metrics.refused.inc(1, "unauthorized");
      reply("401 Unauthorized", "a valid token is required");
      return;
    }
    readBody(res, req, limits.maxFrameBytes, (body) => {
      if (!body) return reply("413 Payload Too Large", `bodies are limited to ${limits.maxFrameBytes} bytes`);
      if (overloaded()) return reply("503 Service Unavailable", "server is full");
      let lines: Uint8Array;
      try {
        lines = gzip ? gunzipSync(body, { maxOutputLength: limits.maxFrameBytes * 16 }) : body;
      } catch {
        return reply("400 Bad Request", "body is not valid gzip (or inflates past the limit)");
      }
      // The bytes may be handed to a decoding thread (and be gone from here): count them first.
      const size = body.length;
      metrics.inFlightBytes += size;
      intake.ingest("line", lines, principal, { precision }).then((r) => {
        metrics.inFlightBytes -= size;
        if (r.error) reply("400 Bad Request", JSON.stringify({ error: r.error }));
        else if (r.rejected.length > 0) reply("400 Bad Request", JSON.stringify({ error: "partial write", accepted: r.accepted, rejected: r.rejected.slice(0, 100) }));
        else reply("204 No Content");
      });
    });
  };
  app.post("/v1/write", write);
  app.post("/write", write);

  /** A JSON endpoint's start: who asks (401 answered when nobody valid), and how to answer once. */
  const jsonRequest = (res: HttpResponse, req: uWS.HttpRequest) => {
    const principal = auth.check(req.getHeader("authorization"), req.getQuery() ?? "");
    const reply = replyOnce(res, "application/json");
    if (!principal) reply("401 Unauthorized", JSON.stringify({ error: "a valid token is required" }));
    return { principal, reply };
  };

  app.post("/v1/query", (res, req) => {
    const { principal, reply } = jsonRequest(res, req);
    if (!principal) return;
    readBody(res, req, 1 << 20, (body) => {
      if (!body) return reply("400 Bad Request", JSON.stringify({ error: "no query" }));
      let q: Query;
      try {
        q = JSON.parse(body.toString("utf8"));
      } catch {
        return reply("400 Bad Request", JSON.stringify({ error: "body is not JSON" }));
      }
      deps.query(q).then(
        (r) => reply("200 OK", JSON.stringify(r)),
        (err: Error) => reply("400 Bad Request", JSON.stringify({ error: err.message })),
      );
    });
  });

  app.get("/v1/health", (res, req) => {
    const { principal, reply } = jsonRequest(res, req);
    if (!principal) return;
    if (!deps.health) return reply("501 Not Implemented", JSON.stringify({ error: "health is served by the process that runs the workers (embedded mode)" }));
    deps.health().then(
      (all) => {
        const devices = all.filter((d) => principal.mayWrite(d.device));
        const healthy = devices.filter((d) => d.score === 100).length;
        reply("200 OK", JSON.stringify({ devices: devices.length, healthy, unhealthy: devices.length - healthy, fleet: devices }));
      },
      (err: Error) => reply("500 Internal Server Error", JSON.stringify({ error: err.message })),
    );
  });

  const alerts = deps.alerts;
  if (alerts) {
    // One JSON text per event, however many subscribers see it.
    let lastEvent: AlertEvent | undefined;
    let lastText = "";
    const textOf = (e: AlertEvent) => (e === lastEvent ? lastText : ((lastEvent = e), (lastText = JSON.stringify(e))));
    app.ws<Subscriber>("/v1/alerts", {
      maxPayloadLength: 4096,
      idleTimeout: Math.max(8, limits.idleTimeoutSeconds),
      maxBackpressure: 4 << 20,
      closeOnBackpressureLimit: 1,
      upgrade: (res, req, context) => {
        const principal = auth.check(req.getHeader("authorization"), req.getQuery() ?? "");
        if (!principal) {
          metrics.refused.inc(1, "unauthorized");
          res.writeStatus("401 Unauthorized").end("a valid token is required");
          return;
        }
        res.upgrade<Subscriber>({ principal }, req.getHeader("sec-websocket-key"), req.getHeader("sec-websocket-protocol"), req.getHeader("sec-websocket-extensions"), context);
      },
      open: (ws: WebSocket<Subscriber>) => {
        const s = ws.getUserData();
        ws.send(JSON.stringify({ type: "active", alerts: alerts.active().filter((a) => s.principal.mayWrite(a.device)) }));
        s.unsubscribe = alerts.subscribe((e) => {
          if (s.principal.mayWrite(e.alert.device)) ws.send(textOf(e));
        });
      },
      // A subscriber may acknowledge: {"acknowledge": "<alert id>", "by": "<who>"}.
      message: (ws: WebSocket<Subscriber>, message: ArrayBuffer) => {
        const s = ws.getUserData();
        let m: { acknowledge?: unknown; by?: unknown };
        try {
          m = JSON.parse(Buffer.from(message).toString("utf8"));
        } catch {
          return void ws.send(JSON.stringify({ error: "messages are JSON: {\"acknowledge\": \"<alert id>\", \"by\": \"<who>\"}" }));
        }
        const id = typeof m.acknowledge === "string" ? m.acknowledge : "";
        const open = alerts.active().find((a) => a.id === id && s.principal.mayWrite(a.device));
        if (!open) return void ws.send(JSON.stringify({ error: `no open alert ${JSON.stringify(id)}` }));
        alerts.acknowledge(id, typeof m.by === "string" ? m.by : "websocket");
      },
      close: (ws: WebSocket<Subscriber>) => ws.getUserData().unsubscribe?.(),
    });

    app.get("/v1/alerts/active", (res, req) => {
      const { principal, reply } = jsonRequest(res, req);
      if (!principal) return;
      reply("200 OK", JSON.stringify({ alerts: alerts.active().filter((a) => principal.mayWrite(a.device)) }));
    });

    app.get("/v1/alerts/history", (res, req) => {
      const { principal, reply } = jsonRequest(res, req);
      if (!principal) return;
      const q = new URLSearchParams(req.getQuery() ?? "");
      const type = q.get("type") ?? undefined;
      const limit = q.get("limit") === null ? undefined : Number(q.get("limit"));
      try {
        if (type !== undefined && !EVENT_TYPES.includes(type as AlertEventType)) throw new Error(`type must be one of ${EVENT_TYPES.join(", ")}`);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error("limit must be a positive integer");
        const events = alerts.history(
          { from: timeParam(q.get("from")), to: timeParam(q.get("to")), device: q.get("device") ?? undefined, rule: q.get("rule") ?? undefined, id: q.get("id") ?? undefined, type: type as AlertEventType | undefined, limit },
          (d) => principal.mayWrite(d),
        );
        reply("200 OK", JSON.stringify({ events }));
      } catch (err) {
        reply("400 Bad Request", JSON.stringify({ error: (err as Error).message }));
      }
    });

    app.post("/v1/alerts/ack", (res, req) => {
      const { principal, reply } = jsonRequest(res, req);
      if (!principal) return;
      readBody(res, req, 4096, (body) => {
        let m: { id?: unknown; by?: unknown };
        try {
          m = JSON.parse(body?.toString("utf8") ?? "");
        } catch {
          return reply("400 Bad Request", JSON.stringify({ error: 'body is JSON: {"id": "<alert id>", "by": "<who>"}' }));
        }
        const open = alerts.active().find((a) => a.id === m.id && principal.mayWrite(a.device));
        if (!open) return reply("404 Not Found", JSON.stringify({ error: `no open alert ${JSON.stringify(m.id)}` }));
        reply("200 OK", JSON.stringify({ alert: alerts.acknowledge(open.id, typeof m.by === "string" ? m.by : "api") }));
      });
    });

    app.post("/v1/alerts/reload", (res, req) => {
      const { principal, reply } = jsonRequest(res, req);
      if (!principal) return;
      if (!principal.everyDevice) return reply("403 Forbidden", JSON.stringify({ error: "reloading rules needs a token granted every device" }));
      alerts.reload().then((r) => reply(r.ok ? "200 OK" : "400 Bad Request", JSON.stringify(r)));
    });
  }

  if (deps.windows) serveWindows(app, deps.windows, auth, metrics, limits);

  app.get("/metrics", (res) => {
    const reply = replyOnce(res, "text/plain; version=0.0.4");
    void metrics.render(deps.gauges?.() ?? {}, deps.counters?.() ?? {}).then((text) => reply("200 OK", text));
  });
  app.get("/health", (res) => {
    res.end("ok");
  });

  return new Promise((resolve, reject) => {
    const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (s: us_listen_socket | false) => void) => void;
    listen.call(app, config.host, config.port, deps.sharePort ? LISTEN_SHARED : LISTEN_EXCLUSIVE, (socket: us_listen_socket | false) => {
      if (!socket) return reject(new Error(`cannot listen on ${config.host}:${config.port}`));
      resolve({
        port: uWS.us_socket_local_port(socket),
        close: () => {
          uWS.us_listen_socket_close(socket);
          for (const ws of [...open]) ws.end(1001, "server shutting down");
        },
      });
    });
  });
}

// WS /v1/windows: fired event-time windows pushed to subscribers as JSON, one message per window
// ({"type":"window", window, groupBy, device, channel, zone, start, end, update, aggregates}), limited
// to the devices the token may write (zone windows need a token granted every device), and to the
// windows named in `?window=a,b` when given.
import type { TemplatedApp, WebSocket } from "uWebSockets.js";
import type { Authenticator, Principal } from "./auth.js";
import type { ServerMetrics } from "./metrics.js";
import type { Limits } from "../config.js";
import type { WindowFeed } from "../analytics/windows/window-feed.js";
import type { WindowResult } from "../analytics/windows/stream-windows.js";

interface Subscriber {
  principal: Principal;
  windows?: Set<string>;
  unsubscribe?: () => void;
}

export function serveWindows(app: TemplatedApp, feed: WindowFeed, auth: Authenticator, metrics: ServerMetrics, limits: Limits): void {
  // One JSON text per window, however many subscribers see it.
  let last: WindowResult | undefined;
  let lastText = "";
  const textOf = (r: WindowResult) => (r === last ? lastText : ((last = r), (lastText = JSON.stringify({ type: "window", ...r }))));
  app.ws<Subscriber>("/v1/windows", {
    maxPayloadLength: 1024,
    idleTimeout: Math.max(8, limits.idleTimeoutSeconds),
    maxBackpressure: 4 << 20,
    closeOnBackpressureLimit: 1,
    upgrade: (res, req, context) => {
      const query = req.getQuery() ?? "";
      const principal = auth.check(req.getHeader("authorization"), query);
      if (!principal) {
        metrics.refused.inc(1, "unauthorized");
        res.writeStatus("401 Unauthorized").end("a valid token is required");
        return;
      }
      const named = new URLSearchParams(query).get("window");
      const windows = named ? new Set(named.split(",").filter((w) => w !== "")) : undefined;
      res.upgrade<Subscriber>({ principal, windows }, req.getHeader("sec-websocket-key"), req.getHeader("sec-websocket-protocol"), req.getHeader("sec-websocket-extensions"), context);
    },
    open: (ws: WebSocket<Subscriber>) => {
      const s = ws.getUserData();
      s.unsubscribe = feed.subscribe((r) => {
        if (s.windows && !s.windows.has(r.window)) return;
        if (r.groupBy === "zone" ? !s.principal.everyDevice : !s.principal.mayWrite(r.device)) return;
        ws.send(textOf(r));
      });
    },
    close: (ws: WebSocket<Subscriber>) => ws.getUserData().unsubscribe?.(),
  });
}

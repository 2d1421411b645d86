// Loads uWebSockets.js and says whether the native build loaded: the package silently falls back to
// a much slower pure-JS shim when no binary matches this Node version, which must not go unnoticed.
import uWS from "uWebSockets.js";

/** True when the native uWS build is in use (the fallback shim has no socket-level helpers). */
export const nativeUws: boolean = typeof (uWS as unknown as Record<string, unknown>).us_socket_local_port === "function";

export function warnIfFallback(log: (line: string) => void): void {
  if (!nativeUws) {
    log(
      `WARNING: uWebSockets.js is running its slow JavaScript fallback (no native build for Node ${process.versions.node}, ABI ${process.versions.modules}); ` +
        "use Node 20 (or 16/18) for the native server.",
    );
  }
}

export default uWS;

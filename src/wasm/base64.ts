// Turns the base64 text that scripts/build-wasm.mjs embeds into module bytes, with no Node-only API, so
// every WebAssembly module loads the same way in Node, browsers and workers.

/** @internal Decodes a module embedded by scripts/build-wasm.mjs. */
export function wasmBytes(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// What a device or channel name may be, the same for every frame format: the archive joins the two
// with a NUL into a series key and stores them as UTF-8, so neither may be empty, hold a control
// character or a lone surrogate, or be longer than the configured limit.

/**
 * Why `name` cannot be a device or channel name, or undefined when it can.
 * @internal
 */
export function nameProblem(name: string, maxLength: number): string | undefined {
  const n = name.length;
  if (n === 0) return "empty";
  if (n > maxLength) return `${n} characters, more than ${maxLength}`;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `control character U+${c.toString(16).padStart(4, "0")} at ${i}`;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A high surrogate followed by a low one is one character; anything else cannot be UTF-8.
      const next = i + 1 < n ? name.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) return `lone surrogate at ${i}`;
      i++;
    }
  }
  return undefined;
}

/** @internal A name for a message: quoted, and cut short when long. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

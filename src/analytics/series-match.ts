// Which series a rule or a window watches: device and channel globs, registry zones, types and tags.
// Shared by alert rules and window definitions, so the two read the same way.

/** Which series are meant; every given field must match (globs with `*` in names). */
export interface Match {
  devices?: string[];
  channels?: string[];
  /** Registry tag `zone`. */
  zones?: string[];
  /** Registry tag `type` (device type). */
  types?: string[];
  /** Other registry tags, each equal. */
  tags?: Record<string, string>;
}

/** A match compiled into predicates. */
export interface SeriesPredicate {
  /** Absent: every channel. */
  channel?: (channel: string) => boolean;
  device: (device: string, tags: Record<string, string> | undefined) => boolean;
}

function globs(patterns: string[] | undefined): ((s: string) => boolean) | undefined {
  if (!patterns) return undefined;
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const wild = patterns.filter((p) => p.includes("*")).map((p) => new RegExp(`^${p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  return (s) => exact.has(s) || wild.some((r) => r.test(s));
}

/** Compiles a match into predicates. */
export function compileMatch(m: Match): SeriesPredicate {
  const devices = globs(m.devices);
  const zones = m.zones && new Set(m.zones);
  const types = m.types && new Set(m.types);
  const tags = m.tags && Object.entries(m.tags);
  return {
    channel: globs(m.channels),
    device: (d, t) =>
      (!devices || devices(d)) &&
      (!zones || (t?.zone !== undefined && zones.has(t.zone))) &&
      (!types || (t?.type !== undefined && types.has(t.type))) &&
      (!tags || tags.every(([k, v]) => t?.[k] === v)),
  };
}

/** Checks a match as written in a file; `fail(path, message)` makes the error thrown for a bad field. */
export function parseMatch(path: string, v: unknown, fail: (path: string, message: string) => Error): Match {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail(path, "must be an object");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["devices", "channels", "zones", "types", "tags"].includes(k)) throw fail(`${path}.${k}`, "unknown field (expected one of devices, channels, zones, types, tags)");
  const strings = (p: string, s: unknown): string[] | undefined => {
    if (s === undefined) return undefined;
    if (!Array.isArray(s) || s.length === 0 || !s.every((x) => typeof x === "string" && x !== "")) throw fail(p, "must be a non-empty list of non-empty strings");
    return s as string[];
  };
  const m: Match = {
    devices: strings(`${path}.devices`, o.devices),
    channels: strings(`${path}.channels`, o.channels),
    zones: strings(`${path}.zones`, o.zones),
    types: strings(`${path}.types`, o.types),
  };
  if (o.tags !== undefined) {
    if (typeof o.tags !== "object" || o.tags === null || Array.isArray(o.tags)) throw fail(`${path}.tags`, "must be an object");
    for (const [k, t] of Object.entries(o.tags)) if (typeof t !== "string") throw fail(`${path}.tags.${k}`, "must be a string");
    m.tags = o.tags as Record<string, string>;
  }
  return m;
}

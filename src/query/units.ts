// Linear unit conversions for the units industrial sensors report in, so a query can read one
// channel across a firmware update that changed its unit. value_in_b = scale · value_in_a + offset.

interface UnitDef {
  dimension: string;
  /** value in the dimension's base unit = factor · value + shift */
  factor: number;
  shift: number;
}

const UNITS: Record<string, UnitDef> = {};
function define(dimension: string, defs: Record<string, [number, number?]>): void {
  for (const [name, [factor, shift]] of Object.entries(defs)) UNITS[name] = { dimension, factor, shift: shift ?? 0 };
}
define("temperature", { K: [1], degC: [1, 273.15], "°C": [1, 273.15], degF: [5 / 9, 459.67 * (5 / 9)], "°F": [5 / 9, 459.67 * (5 / 9)] });
define("pressure", { Pa: [1], hPa: [100], kPa: [1e3], MPa: [1e6], mbar: [100], bar: [1e5], psi: [6894.757293168361] });
define("length", { m: [1], mm: [1e-3], cm: [1e-2], km: [1e3], in: [0.0254], ft: [0.3048] });
define("mass", { kg: [1], g: [1e-3], t: [1e3], lb: [0.45359237] });
define("volume", { m3: [1], L: [1e-3], mL: [1e-6], gal: [0.003785411784] });
define("flow", { "m3/s": [1], "m3/h": [1 / 3600], "L/s": [1e-3], "L/min": [1e-3 / 60], gpm: [0.003785411784 / 60] });
define("power", { W: [1], kW: [1e3], MW: [1e6], hp: [745.6998715822702] });
define("energy", { J: [1], kJ: [1e3], MJ: [1e6], Wh: [3600], kWh: [3.6e6], MWh: [3.6e9] });
define("voltage", { V: [1], mV: [1e-3], kV: [1e3] });
define("current", { A: [1], mA: [1e-3], kA: [1e3] });
define("frequency", { Hz: [1], kHz: [1e3], rpm: [1 / 60] });
define("speed", { "m/s": [1], "km/h": [1 / 3.6], mph: [0.44704] });
define("acceleration", { "m/s2": [1], g0: [9.80665] });
define("ratio", { ratio: [1], "%": [0.01], ppm: [1e-6] });

/** value_in_target = scale · value + offset. */
export interface Conversion {
  scale: number;
  offset: number;
}

export const IDENTITY: Conversion = { scale: 1, offset: 0 };

/** The conversion from unit `from` to unit `to`, or undefined if they measure different things (or are unknown). */
export function conversion(from: string | undefined, to: string | undefined): Conversion | undefined {
  if (from === to || to === undefined || from === undefined) return from === to || to === undefined ? IDENTITY : undefined;
  const a = UNITS[from];
  const b = UNITS[to];
  if (!a || !b || a.dimension !== b.dimension) return undefined;
  // base = fa·x + sa; y = (base − sb) / fb
  return { scale: a.factor / b.factor, offset: (a.shift - b.shift) / b.factor };
}

/** True when iotpipe knows how to convert this unit. */
export function isKnownUnit(unit: string): boolean {
  return unit in UNITS;
}

// ISO-8601 / RFC 3339 date-times to integral microseconds since the epoch, exactly: Date.parse keeps
// only milliseconds and guesses a zone when none is given, so JSON frames use this instead.

const DIGIT_0 = 48;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Microseconds since the epoch of `text`: `YYYY-MM-DD`, `T` (or `t`, or a space), `hh:mm[:ss[.f…]]`
 * and a zone (`Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`). Digits past the microsecond are dropped (toward the
 * past). Returns a reason string when `text` is not such a time, has no zone, or lies outside ±2^53 µs.
 * @internal
 */
export function isoMicros(text: string): number | string {
  let p = 0;
  const n = text.length;
  const digits = (count: number): number => {
    let v = 0;
    for (let k = 0; k < count; k++) {
      const c = p < n ? text.charCodeAt(p) - DIGIT_0 : -1;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
      p++;
    }
    return v;
  };
  const expect = (ch: string): boolean => (p < n && text[p] === ch ? (p++, true) : false);
  const year = digits(4);
  if (year < 0 || !expect("-")) return "expected YYYY-MM-DD";
  const month = digits(2);
  if (month < 1 || month > 12 || !expect("-")) return "month outside 01..12";
  const day = digits(2);
  if (day < 1 || day > daysInMonth(year, month)) return `day outside 01..${daysInMonth(year, month)}`;
  if (!(expect("T") || expect("t") || expect(" "))) return "expected T between date and time";
  const hour = digits(2);
  if (hour < 0 || hour > 23 || !expect(":")) return "hour outside 00..23";
  const minute = digits(2);
  if (minute < 0 || minute > 59) return "minute outside 00..59";
  let second = 0;
  let micros = 0;
  if (expect(":")) {
    second = digits(2);
    if (second < 0 || second > 60) return "second outside 00..60"; // 60: a leap second, read as :00 of the next minute
    if (expect(".") || expect(",")) {
      const start = p;
      let scale = 100000;
      while (p < n) {
        const c = text.charCodeAt(p) - DIGIT_0;
        if (c < 0 || c > 9) break;
        micros += c * scale;
        scale = Math.floor(scale / 10);
        p++;
      }
      if (p === start) return "expected digits after the decimal point";
    }
  }
  let offsetMinutes = 0;
  if (expect("Z") || expect("z")) offsetMinutes = 0;
  else if (p < n && (text[p] === "+" || text[p] === "-")) {
    const sign = text[p++] === "-" ? -1 : 1;
    const oh = digits(2);
    if (oh < 0 || oh > 23) return "zone hours outside 00..23";
    let om = 0;
    if (p < n) {
      expect(":");
      om = digits(2);
      if (om < 0 || om > 59) return "zone minutes outside 00..59";
    }
    offsetMinutes = sign * (oh * 60 + om);
  } else return p < n ? `unexpected ${JSON.stringify(text[p])} at ${p}` : "no zone (Z or ±hh:mm)";
  if (p !== n) return `unexpected ${JSON.stringify(text.slice(p, p + 8))} at ${p}`;
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + (minute - offsetMinutes) * 60 + second;
  const us = seconds * 1e6 + micros;
  if (!(Math.abs(seconds) <= MAX_SAFE / 1e6 && Math.abs(us) <= MAX_SAFE)) return "outside ±2^53 µs of the epoch";
  return us;
}

// Per-number state kept in columns (typed arrays indexed by a dense number: a device's, a head's), which
// grow as numbers are handed out. Non-integer fields of objects each live in a heap box of their own;
// a column is one object for every number.

/** A column of per-number state. */
type Column = Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

/**
 * A column with room for numbers below `n`: `column` itself when it has room, else a larger copy (of
 * the same type) whose new entries hold `fill` (the state of a number not seen yet).
 */
export function withRoom<T extends Column>(column: T, n: number, fill: number): T {
  if (n <= column.length) return column;
  const grown = new (column.constructor as new (length: number) => T)(Math.max(n, 2 * column.length, 1024));
  grown.fill(fill, column.length);
  grown.set(column);
  return grown;
}

// Points of one series and the rule that resolves overlapping writes: sorted by time, and for each
// timestamp the value written last wins. Sealing a head and merging overlapping blocks both use it.

/** Exact-length columns of points. */
export interface Points {
  timestamps: Float64Array;
  values: Float64Array;
}

/**
 * Sorts by timestamp and keeps, for each timestamp, the value written last (arrival order is the
 * input order). Already-sorted input without duplicates is returned as is.
 */
export function sortLastWriteWins(points: Points): Points {
  const { timestamps: ts, values: vs } = points;
  const n = ts.length;
  let ordered = true;
  for (let i = 1; i < n; i++) {
    if (ts[i] <= ts[i - 1]) {
      ordered = false;
      break;
    }
  }
  if (ordered) return points;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => ts[a] - ts[b] || a - b);
  const outT = new Float64Array(n);
  const outV = new Float64Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (m > 0 && outT[m - 1] === ts[i]) {
      outV[m - 1] = vs[i];
      continue;
    }
    outT[m] = ts[i];
    outV[m++] = vs[i];
  }
  return { timestamps: outT.subarray(0, m), values: outV.subarray(0, m) };
}


/** The points of several runs one after another (arrival order kept). */
export function concatPoints(parts: readonly Points[]): Points {
  const n = parts.reduce((s, p) => s + p.timestamps.length, 0);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    timestamps.set(p.timestamps, at);
    values.set(p.values, at);
    at += p.timestamps.length;
  }
  return { timestamps, values };
}

// Timing helpers: wall-clock milliseconds of one call, and the median of repeated calls.

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `run` `times` times one after another; returns each call's ms and the median. */
export async function repeated(times: number, run: () => Promise<unknown>): Promise<{ median: number; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push((await timed(run)).ms);
  return { median: median(samples), samples };
}

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));

// Times whole-dataset passes: one untimed warm-up pass, then `samples` samples, each repeating the
// pass until it has used `minSampleSeconds` (so small datasets are not timed at the clock's grain).

export interface TimingPlan {
  readonly samples: number;
  readonly minSampleSeconds: number;
}

/** The full run: the best of seven samples of ≥ 50 ms each; --quick: of three ≥ 10 ms (one sample alone can catch a full GC). */
export const FULL_TIMING: TimingPlan = { samples: 7, minSampleSeconds: 0.05 };
export const QUICK_TIMING: TimingPlan = { samples: 3, minSampleSeconds: 0.01 };

/**
 * CPU seconds this process has used (user + system, microsecond accounting on Linux). The bench
 * times CPU rather than wall time because the machine is shared with other engineers' test runs:
 * a descheduled process's wall clock keeps running, its CPU clock does not. Every pass is
 * single-threaded, so on an idle machine the two agree, except that V8's background GC threads
 * count here too — a real cost of the encode path's allocations.
 */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * CPU seconds one pass takes: the best (shortest) sample, since interference from other processes
 * (caches, memory bandwidth) only ever adds time — the reasoning of Python's timeit docs.
 */
export function secondsPerPass(pass: () => void, plan: TimingPlan): number {
  return secondsPerPassInTurns([pass], plan)[0];
}

/**
 * CPU seconds each of several passes takes, sampled in turns: each round times every pass once,
 * so each pass's best sample is drawn from the whole run rather than from the second or two it would
 * get alone. On this shared machine speed drifts by a third for seconds at a time; passes timed one
 * after another then land in different phases, and a sum can come out faster than its parts.
 */
export function secondsPerPassInTurns(passes: ReadonlyArray<() => void>, plan: TimingPlan): number[] {
  for (const pass of passes) pass();
  const best = passes.map(() => Infinity);
  for (let s = 0; s < plan.samples; s++) {
    passes.forEach((pass, i) => {
      const start = cpuSeconds();
      let count = 0;
      let used: number;
      do {
        pass();
        count++;
        used = cpuSeconds() - start;
      } while (used < plan.minSampleSeconds);
      best[i] = Math.min(best[i], used / count);
    });
  }
  return best;
}

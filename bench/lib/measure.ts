import { performance } from "node:perf_hooks";
import { collectGarbage, memory } from "./memory.js";

/** How long and how often to run one measurement. */
export interface MeasureOptions {
  /** Runs before timing starts (JIT warm-up, caches). */
  warmup: number;
  /** Timed runs at least, whatever the time budget says (but see `capMs`). */
  minIterations: number;
  /** Timed runs at most. */
  maxIterations: number;
  /** Stop adding timed runs once this much time was spent on them (after `minIterations`). */
  budgetMs: number;
  /**
   * Hard limit on the time of one measurement: no new run starts if it would likely end past
   * it (one timed run always happens). Keeps a slow engine from stretching the whole bench.
   */
  capMs: number;
}

export interface Timing {
  iterations: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  samplesMs: number[];
}

/**
 * Times `fn` the way tinybench does, in miniature: garbage-collect (when `--expose-gc`),
 * warm up (at most `warmup` runs and half the budget), then time whole runs with
 * performance.now() until both `minIterations` and the time budget are reached, within
 * `capMs`. A warm-up run longer than the budget counts as the first timed run (code that runs
 * that long is warm after its first few resources). Memory is sampled after every run. The
 * median is the figure to read. Returns the last run's value too.
 */
export function measureRuns<T>(fn: () => T, options: MeasureOptions): { timing: Timing; last: T } {
  collectGarbage();
  const samples: number[] = [];
  let last: T | undefined;
  const start = performance.now();
  for (let i = 0; i < options.warmup; i++) {
    const t0 = performance.now();
    last = fn();
    const took = performance.now() - t0;
    memory.sample();
    if (took >= options.budgetMs) {
      samples.push(took);
      break;
    }
    // warming up gets at most half the budget
    if (performance.now() - start >= options.budgetMs / 2) break;
  }
  while (samples.length < options.maxIterations) {
    const elapsed = performance.now() - start;
    const typical = samples.length > 0 ? samples[samples.length - 1]! : 0;
    if (samples.length >= options.minIterations && elapsed >= options.budgetMs) break;
    if (samples.length >= 1 && elapsed + typical > options.capMs) break;
    const t0 = performance.now();
    last = fn();
    samples.push(performance.now() - t0);
    memory.sample();
  }
  return { timing: summarise(samples), last: last as T };
}

/** `measureRuns` for when only the timing matters. */
export function measure(fn: () => unknown, options: MeasureOptions): Timing {
  return measureRuns(fn, options).timing;
}

/** Times one run of `fn` and returns its value too. */
export function timeOnce<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  memory.sample();
  return { value, ms };
}

export function summarise(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n === 0 ? Number.NaN : n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    iterations: n,
    medianMs: median,
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[n - 1] ?? Number.NaN,
    meanMs: n === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / n,
    samplesMs: samples.map((s) => Math.round(s * 1000) / 1000),
  };
}

/**
 * Times several functions round by round, interleaved (each round runs every function once,
 * in a rotated order), so that load on a shared machine hits them alike: `warmup` untimed runs
 * of each, then rounds until `minIterations` rounds and `budgetMs` are reached, at most
 * `maxIterations` rounds and `capMs`. Read the min and the median of each.
 */
export function measureInterleaved(
  fns: readonly (readonly [string, () => unknown])[],
  options: MeasureOptions,
): Record<string, Timing & { cpu: Timing }> {
  collectGarbage();
  for (const [, fn] of fns) for (let i = 0; i < options.warmup; i++) fn();
  const samples = fns.map(() => [] as number[]);
  const cpuSamples = fns.map(() => [] as number[]);
  const start = performance.now();
  for (let round = 0; round < options.maxIterations; round++) {
    const elapsed = performance.now() - start;
    if (round >= options.minIterations && elapsed >= options.budgetMs) break;
    if (round >= 1 && elapsed + elapsed / round > options.capMs) break;
    for (let k = 0; k < fns.length; k++) {
      const i = (k + round) % fns.length;
      const fn = fns[i]![1];
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn();
      samples[i]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuSamples[i]!.push((c.user + c.system) / 1000);
    }
    memory.sample();
  }
  return Object.fromEntries(
    fns.map(([name], i) => [name, { ...summarise(samples[i]!), cpu: summarise(cpuSamples[i]!) }]),
  );
}

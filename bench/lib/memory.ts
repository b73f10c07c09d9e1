/**
 * Peak memory, sampled between timed runs (JavaScript cannot sample during a synchronous
 * run). `maxRssBytes` is the kernel's own high-water mark, so it also sees peaks between samples.
 */
export interface MemoryPeaks {
  rssBytes: number;
  heapUsedBytes: number;
}

class MemoryTracker {
  private readonly overall: MemoryPeaks = { rssBytes: 0, heapUsedBytes: 0 };
  private current: MemoryPeaks = { rssBytes: 0, heapUsedBytes: 0 };

  /** Records the current usage into the overall and the section peaks. */
  sample(): void {
    const usage = process.memoryUsage();
    for (const peaks of [this.overall, this.current]) {
      if (usage.rss > peaks.rssBytes) peaks.rssBytes = usage.rss;
      if (usage.heapUsed > peaks.heapUsedBytes) peaks.heapUsedBytes = usage.heapUsed;
    }
  }

  /** Starts a new section; returns the peaks of the one that ended. */
  section(): MemoryPeaks {
    this.sample();
    const ended = this.current;
    this.current = { rssBytes: 0, heapUsedBytes: 0 };
    this.sample();
    return ended;
  }

  peaks(): MemoryPeaks {
    this.sample();
    return { ...this.overall };
  }
}

export const memory = new MemoryTracker();

/** Runs a full collection when node runs with `--expose-gc`; returns whether it could. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  return true;
}

/** heapUsed after a full collection (or without one, when gc is not exposed). */
export function settledHeapBytes(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The process's peak resident set size so far, as the kernel counts it. */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

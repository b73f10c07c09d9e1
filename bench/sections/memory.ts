/** Section 4: peak memory of the run so far and what the main objects keep alive. */
import type { Context } from "../context.js";
import { collectGarbage, type MemoryPeaks, maxRssBytes, memory } from "../lib/memory.js";
import { mib, num, table } from "../lib/table.js";

export interface MemoryFigures {
  baselineHeapBytes: number;
  retainedLibraryBytes?: number;
  retainedBundleBytes?: number;
  retainedReportBytes?: number;
  sections: Record<string, MemoryPeaks>;
}

export function memorySection(ctx: Context, figures: MemoryFigures): Record<string, unknown> {
  const peaks = memory.peaks();
  const gc = collectGarbage();
  const peakRss = maxRssBytes();
  ctx.print(
    table(
      [{ header: "figure", align: "left" }, { header: "value" }],
      [
        [`heap after start${gc ? " (after gc)" : ""}`, mib(figures.baselineHeapBytes)],
        ["peak heapUsed, sampled after every run", mib(peaks.heapUsedBytes)],
        ["peak RSS, sampled after every run", mib(peaks.rssBytes)],
        ["peak RSS, the kernel's high-water mark", mib(peakRss)],
        ["retained by the compiled policy set", mib(figures.retainedLibraryBytes)],
        [
          `retained by the parsed ${num(ctx.mainWorkloads)}-workload bundle`,
          mib(figures.retainedBundleBytes),
        ],
        ["retained by the report of that bundle", mib(figures.retainedReportBytes)],
      ],
    ),
  );
  ctx.print("");
  ctx.print(
    table(
      [{ header: "section", align: "left" }, { header: "peak heapUsed" }, { header: "peak RSS" }],
      Object.entries(figures.sections).map(([name, p]) => [name, mib(p.heapUsedBytes), mib(p.rssBytes)]),
    ),
  );
  if (!gc) ctx.print("  (run node with --expose-gc for settled baselines and retained sizes)");
  return {
    ...figures,
    peakHeapUsedBytes: peaks.heapUsedBytes,
    peakRssSampledBytes: peaks.rssBytes,
    peakRssBytes: peakRss,
  };
}

/** Section 1: how long the built-in library takes to load and compile. */
import { relative } from "node:path";
import type { Context } from "../context.js";
import type { CompiledPolicySet } from "../lib/core.js";
import { compilePolicySet } from "../lib/core.js";
import { measure, measureRuns, type Timing, timeOnce } from "../lib/measure.js";
import { settledHeapBytes } from "../lib/memory.js";
import { ms, num, table } from "../lib/table.js";
import { parseLibrary, readLibrary } from "../library.js";

export interface CompileResult {
  set: CompiledPolicySet;
  /** Heap the compiled set keeps alive. */
  retainedBytes: number;
  json: Record<string, unknown>;
}

export function compileSection(ctx: Context): CompileResult {
  const read = timeOnce(() => readLibrary(ctx.paths.policies, ctx.paths.repo));
  const source = read.value;
  const { timing: parseTiming, last: loaded } = measureRuns(() => parseLibrary(source), ctx.plan.compile);
  const options = { fileLines: (file: string) => loaded.lines.get(file) };
  // the first compile of the process also builds the CEL environment (once per process)
  const first = timeOnce(() => compilePolicySet(loaded.policies, options));
  const compileTiming = measure(() => compilePolicySet(loaded.policies, options), ctx.plan.compile);
  const before = settledHeapBytes();
  const { set, diagnostics } = compilePolicySet(loaded.policies, options);
  const retainedBytes = settledHeapBytes() - before;

  const policies = set.policies.length;
  const inRepo = relative(ctx.paths.repo, ctx.paths.policies) || ".";
  const where = inRepo.startsWith("..") ? ctx.paths.policies : inRepo;
  const foreign =
    loaded.foreignDocuments > 0 ? `; ${num(loaded.foreignDocuments)} non-celgate documents ignored` : "";
  ctx.print(
    `  ${where}/: ${num(source.files.length)} files, ${num(loaded.policies.length)} Policy documents, ` +
      `${num(policies)} compiled; ${num(loaded.diagnostics.length)} parse and ${num(diagnostics.length)} ` +
      `compile problems${foreign}`,
  );
  for (const d of [...loaded.diagnostics, ...diagnostics].slice(0, 3)) {
    ctx.print(`    ! ${d.file ?? ""}:${d.line ?? "?"}: ${d.message}`);
  }
  if (policies === 0) {
    ctx.print("  (the library has no policies yet: section 2 evaluates the five rules of section 3 instead)");
  }
  ctx.print("");
  const perPolicy = (total: number, count: number) => (count > 0 ? ms(total / count) : "-");
  const row = (step: string, t: Timing, count: number) => [
    step,
    String(t.iterations),
    ms(t.medianMs),
    ms(t.minMs),
    ms(t.maxMs),
    perPolicy(t.medianMs, count),
  ];
  ctx.print(
    table(
      [
        { header: "step", align: "left" },
        { header: "runs" },
        { header: "median ms" },
        { header: "min ms" },
        { header: "max ms" },
        { header: "per policy ms" },
      ],
      [
        ["read files", "1", ms(read.ms), "", "", ""],
        row("parse + validate documents", parseTiming, loaded.policies.length),
        [
          "compile, first in process (+ CEL environment)",
          "1",
          ms(first.ms),
          "",
          "",
          perPolicy(first.ms, policies),
        ],
        row("compile", compileTiming, policies),
      ],
    ),
  );
  return {
    set,
    retainedBytes,
    json: {
      policiesDir: where,
      files: source.files.length,
      documents: loaded.policies.length,
      policies,
      parseDiagnostics: loaded.diagnostics.length,
      compileDiagnostics: diagnostics.length,
      foreignDocuments: loaded.foreignDocuments,
      readMs: read.ms,
      parse: parseTiming,
      firstCompileMs: first.ms,
      compile: compileTiming,
      compileMsPerPolicy: policies > 0 ? compileTiming.medianMs / policies : null,
    },
  };
}

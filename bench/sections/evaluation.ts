/**
 * Section 2: evaluation throughput of a policy set over the generated bundle and the real
 * manifests of the corpora (`manifests/` of $CELGATE_CORPORA), how it scales with the bundle, and
 * what each policy costs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { type Bundle, type Context, isWorkload, NO_POLICY, single } from "../context.js";
import type { CompiledPolicySet, EvaluationReport } from "../lib/core.js";
import { evaluate, parseManifests } from "../lib/core.js";
import { type MeasureOptions, measure, measureRuns } from "../lib/measure.js";
import { settledHeapBytes } from "../lib/memory.js";
import { ms, num, ratio, table, us } from "../lib/table.js";

export interface EvaluationResult {
  retainedBundleBytes: number;
  retainedReportBytes: number;
  json: Record<string, unknown>;
}

/** Times evaluate() of a bundle; `onReport` receives the last report. */
function evaluationOf(
  ctx: Context,
  set: CompiledPolicySet,
  bundle: Bundle,
  options: MeasureOptions,
  onReport?: (report: EvaluationReport) => void,
) {
  const input = { resources: bundle.resources, images: bundle.images, now: ctx.now };
  const { timing, last: report } = measureRuns(() => evaluate(set, input), options);
  onReport?.(report);
  const resources = bundle.resources.length;
  return {
    input: bundle.label,
    resources,
    workloads: bundle.workloads,
    megabytes: bundle.bytes / 1024 / 1024,
    parseMs: bundle.parse.medianMs,
    evaluate: timing,
    resourcesPerSecond: resources / (timing.medianMs / 1000),
    usPerResource: (timing.medianMs * 1000) / resources,
    summary: report.summary,
    decision: report.decision,
  };
}

type EvaluationRow = ReturnType<typeof evaluationOf>;

export function evaluationSection(ctx: Context, set: CompiledPolicySet, setName: string): EvaluationResult {
  const before = settledHeapBytes();
  const main = ctx.bundle(ctx.mainWorkloads);
  const retainedBundleBytes = settledHeapBytes() - before;

  ctx.progress(`evaluating ${main.label}`);
  let report: EvaluationReport | undefined;
  const rows: EvaluationRow[] = [evaluationOf(ctx, set, main, ctx.plan.evaluateMain, (r) => (report = r))];
  // a report's size is what the heap loses when it is dropped
  const withReport = settledHeapBytes();
  report = undefined;
  const retainedReportBytes = withReport - settledHeapBytes();

  let corpusFiles: string[] = [];
  try {
    corpusFiles = readdirSync(ctx.paths.corpora)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
  } catch {
    ctx.print(
      `  (no corpora at ${relative(ctx.paths.repo, ctx.paths.corpora)}: the generated bundle only; set CELGATE_CORPORA)`,
    );
  }
  for (const file of corpusFiles) {
    ctx.progress(`evaluating ${file}`);
    const text = readFileSync(join(ctx.paths.corpora, file), "utf8");
    const { timing: parse, last: parsed } = measureRuns(() => parseManifests(text, file), ctx.plan.parse);
    const bundle: Bundle = {
      label: basename(file),
      workloads: parsed.resources.filter(isWorkload).length,
      resources: parsed.resources,
      images: [],
      bytes: text.length,
      parse,
    };
    rows.push(evaluationOf(ctx, set, bundle, ctx.plan.evaluate));
  }
  ctx.print(
    table(
      [
        { header: "input", align: "left" },
        { header: "resources" },
        { header: "MiB" },
        { header: "parse ms" },
        { header: "evaluate ms" },
        { header: "runs" },
        { header: "resources/s" },
        { header: "µs/resource" },
        { header: "pass" },
        { header: "fail" },
        { header: "error" },
      ],
      rows.map((row) => [
        row.input,
        num(row.resources),
        num(row.megabytes, 1),
        ms(row.parseMs),
        ms(row.evaluate.medianMs),
        String(row.evaluate.iterations),
        num(row.resourcesPerSecond),
        us(row.usPerResource),
        num(row.summary.pass),
        num(row.summary.fail),
        num(row.summary.error),
      ]),
    ),
  );
  ctx.print(
    "  parse: YAML text to resources; evaluate: evaluate() of the parsed resources, median of runs;\n" +
      "  pass/fail/error: (policy, resource) pairs of one run",
  );

  const scaling = scalingRows(ctx, set, rows[0]!);
  const perPolicy = ctx.plan.perPolicy ? policyCosts(ctx, set, main, rows[0]!.evaluate.medianMs) : undefined;
  return {
    retainedBundleBytes,
    retainedReportBytes,
    json: { policySet: setName, policies: set.policies.length, rows, ...scaling, perPolicy },
  };
}

function scalingRows(ctx: Context, set: CompiledPolicySet, mainRow: EvaluationRow) {
  ctx.progress("scaling");
  const scaling: EvaluationRow[] = [];
  const skipped: { workloads: number; predictedMs: number }[] = [];
  for (const n of ctx.plan.sizes) {
    if (n === ctx.mainWorkloads) {
      scaling.push(mainRow);
      continue;
    }
    if (n > ctx.mainWorkloads && scaling.length >= 2) {
      const predictedMs = predictRunMs(scaling, n);
      if (predictedMs > ctx.plan.largeLimitMs) {
        skipped.push({ workloads: n, predictedMs });
        continue;
      }
    }
    const options = n > ctx.mainWorkloads ? ctx.plan.evaluateLarge : ctx.plan.evaluate;
    scaling.push(evaluationOf(ctx, set, ctx.bundle(n), options));
    ctx.dropBundle(n);
  }
  const base = scaling[0]!;
  const last = scaling[scaling.length - 1]!;
  const scalingRatio = last.usPerResource / base.usPerResource;
  ctx.print("");
  ctx.print("  Scaling: the same generator at three sizes (the cost per resource should stay flat)");
  ctx.print(
    table(
      [
        { header: "workloads" },
        { header: "resources" },
        { header: "evaluate ms" },
        { header: "runs" },
        { header: "resources/s" },
        { header: "µs/resource" },
        { header: `vs ${num(base.workloads)}` },
      ],
      scaling.map((r) => [
        num(r.workloads),
        num(r.resources),
        ms(r.evaluate.medianMs),
        String(r.evaluate.iterations),
        num(r.resourcesPerSecond),
        us(r.usPerResource),
        ratio(r.usPerResource / base.usPerResource),
      ]),
    ),
  );
  const verdict =
    scalingRatio < 1.5 ? "flat" : "grows with the bundle: some per-resource work walks the whole bundle";
  ctx.print(
    `  cost per resource at ${num(last.workloads)} vs ${num(base.workloads)} workloads: ${ratio(scalingRatio)} (${verdict})`,
  );
  for (const s of skipped) {
    ctx.print(
      `  ${num(s.workloads)} workloads: skipped, one run would take about ${num(s.predictedMs / 1000)} s ` +
        `(predicted from the rows above; the limit is ${num(ctx.plan.largeLimitMs / 1000)} s)`,
    );
  }
  return { scaling, scalingRatio, skipped };
}

/**
 * The time of one run over `workloads` workloads, from the cost per resource of the last two
 * rows, extended along the straight line through them (cost per resource growing linearly with
 * the bundle is what a policy that walks the bundle for every resource gives).
 */
function predictRunMs(rows: readonly EvaluationRow[], workloads: number): number {
  const a = rows[rows.length - 2]!;
  const b = rows[rows.length - 1]!;
  const slope = (b.usPerResource - a.usPerResource) / (b.workloads - a.workloads);
  const usPerResource = Math.max(b.usPerResource, b.usPerResource + slope * (workloads - b.workloads));
  const resources = (b.resources / b.workloads) * workloads;
  return (usPerResource * resources) / 1000;
}

/**
 * The cost of each policy alone over the bundle: evaluate() with only that policy (the faster
 * of two runs when there is time, which keeps out most pauses of a busy machine), minus a run
 * that selects no policy (the engine's per-resource preparation and the report).
 */
function policyCosts(ctx: Context, set: CompiledPolicySet, bundle: Bundle, fullMs: number) {
  const input = { resources: bundle.resources, images: bundle.images, now: ctx.now };
  const none = measure(() => evaluate(set, { ...input, select: NO_POLICY }), ctx.plan.engineRule).medianMs;
  const estimateMs = set.policies.length * none + fullMs;
  const limitMs = 20_000;
  if (estimateMs > limitMs) {
    ctx.print(`\n  Cost per policy: skipped (it would take about ${num(estimateMs / 1000)} s)`);
    return { skipped: true, estimateMs };
  }
  const runs = 2 * estimateMs <= limitMs ? 2 : 1;
  ctx.progress(`timing each of ${set.policies.length} policies`);
  const costs = set.policies.map((policy) => {
    let t = Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs; i++) {
      t = Math.min(t, single(() => evaluate(set, { ...input, policies: [policy.name] })).timing.medianMs);
    }
    const reads = [...policy.reads].filter(
      (r) => r === "bundle" || r === "images" || r === "namespaceObject",
    );
    return { policy: policy.name, reads, ms: Math.max(0, t - none) };
  });
  costs.sort((a, b) => b.ms - a.ms);
  const total = costs.reduce((sum, c) => sum + c.ms, 0);
  const resources = bundle.resources.length;
  ctx.print("");
  ctx.print(
    `  Cost of each policy over the ${num(bundle.workloads)}-workload bundle ` +
      `(${runs === 2 ? "faster of two runs" : "one run"} each; top 10 of ${costs.length})`,
  );
  ctx.print(
    table(
      [
        { header: "policy", align: "left" },
        { header: "reads", align: "left" },
        { header: "ms" },
        { header: "µs/resource" },
        { header: "share %" },
      ],
      costs
        .slice(0, 10)
        .map((c) => [
          c.policy,
          c.reads.join(" "),
          ms(c.ms),
          us((c.ms * 1000) / resources),
          num((100 * c.ms) / total, 1),
        ]),
    ),
  );
  ctx.print(
    `  evaluate() with no policy selected (preparing resources, the report): ${ms(none)} ms, ` +
      `${us((none * 1000) / resources)} µs/resource; subtracted from each row above`,
  );
  return { noPolicyMs: none, runs, policies: costs };
}

/**
 * What every section of the bench shares: the plan (iterations and budgets), paths, the fixed
 * evaluation time, output, and the generated bundles (made once, on first use).
 */
import { generateBundle } from "./generate.js";
import type { ImageFacts, Resource, Selector } from "./lib/core.js";
import {
  WORKLOAD_KINDS as CORE_WORKLOAD_KINDS,
  parseImageFacts,
  parseLabelSelector,
  parseManifests,
} from "./lib/core.js";
import { type MeasureOptions, measureRuns, summarise, type Timing, timeOnce } from "./lib/measure.js";
import { num } from "./lib/table.js";

export interface Plan {
  /** Workloads of the scaling rows; the middle one is the main bundle. */
  sizes: number[];
  compile: MeasureOptions;
  parse: MeasureOptions;
  /** The corpora and bundles smaller than the main one. */
  evaluate: MeasureOptions;
  /** The main bundle. */
  evaluateMain: MeasureOptions;
  /** Bundles larger than the main one. */
  evaluateLarge: MeasureOptions;
  /** A larger bundle whose predicted run is longer than this is skipped. */
  largeLimitMs: number;
  /** evaluate() of one of the five rules. */
  engineRule: MeasureOptions;
  /** The fast loops: bare CEL expressions and JavaScript. */
  fastRule: MeasureOptions;
  /** Section 3's interleaved rounds (evaluate(), compiled and interpreted CEL, JavaScript). */
  rulesInterleaved: MeasureOptions;
  perPolicy: boolean;
  profileMs: number;
}

function opts(warmup: number, min: number, max: number, budgetMs: number, capMs: number): MeasureOptions {
  return { warmup, minIterations: min, maxIterations: max, budgetMs, capMs };
}

/**
 * Iterations and time budgets (warm-up runs, min runs, max runs, budget ms, cap ms). The caps
 * keep the whole bench near two minutes even when evaluation is slow; the quick plan is a smoke
 * test whose figures are rough.
 */
export function makePlan(quick: boolean): Plan {
  const plan: Plan = {
    sizes: [100, 1_000, 5_000],
    compile: opts(1, 5, 25, 1_500, 4_000),
    parse: opts(1, 3, 10, 600, 2_000),
    evaluate: opts(1, 5, 30, 1_500, 4_000),
    evaluateMain: opts(1, 3, 10, 3_000, 10_000),
    evaluateLarge: opts(1, 2, 5, 5_000, 8_000),
    largeLimitMs: 60_000,
    engineRule: opts(1, 3, 20, 600, 1_500),
    fastRule: opts(10, 20, 2_000, 250, 1_000),
    rulesInterleaved: opts(2, 7, 40, 3_000, 8_000),
    perPolicy: true,
    profileMs: 1_500,
  };
  if (!quick) return plan;
  const shrink = (o: MeasureOptions): MeasureOptions => ({
    ...o,
    minIterations: Math.min(o.minIterations, 2),
    budgetMs: o.budgetMs / 10,
    capMs: o.capMs / 5,
  });
  return {
    sizes: [100, 1_000, 2_000],
    compile: shrink(plan.compile),
    parse: shrink(plan.parse),
    evaluate: shrink(plan.evaluate),
    evaluateMain: shrink(plan.evaluateMain),
    evaluateLarge: shrink(plan.evaluateLarge),
    largeLimitMs: 15_000,
    engineRule: shrink(plan.engineRule),
    fastRule: shrink(plan.fastRule),
    rulesInterleaved: shrink(plan.rulesInterleaved),
    perPolicy: false,
    profileMs: 500,
  };
}

/** Resources and image facts to evaluate, with how long parsing them took. */
export interface Bundle {
  label: string;
  workloads: number;
  resources: Resource[];
  images: ImageFacts[];
  bytes: number;
  parse: Timing;
}

export interface Paths {
  bench: string;
  repo: string;
  corpora: string;
  results: string;
  policies: string;
}

export interface Context {
  plan: Plan;
  quick: boolean;
  paths: Paths;
  /** The evaluation time of every run, fixed so that scan-age policies decide the same way. */
  now: Date;
  /** Names this run's files in bench/results. */
  stamp: string;
  /** The workloads of the main bundle (section 2's first row, section 3, the profile). */
  mainWorkloads: number;
  print(text: string): void;
  progress(text: string): void;
  /** The generated bundle of `workloads` workloads, made on first use. */
  bundle(workloads: number): Bundle;
  /** Lets a bundle be collected. */
  dropBundle(workloads: number): void;
}

/** Generated bundles by size; the main one's parse is timed several times, the others once. */
export function bundleCache(
  plan: Plan,
  mainWorkloads: number,
  progress: (text: string) => void,
): Pick<Context, "bundle" | "dropBundle"> {
  const bundles = new Map<number, Bundle>();
  return {
    bundle(workloads) {
      let b = bundles.get(workloads);
      if (!b) {
        progress(`generating ${num(workloads)} workloads`);
        b = loadGenerated(workloads, workloads === mainWorkloads ? plan.parse : undefined);
        bundles.set(workloads, b);
      }
      return b;
    },
    dropBundle(workloads) {
      bundles.delete(workloads);
    },
  };
}

function loadGenerated(workloads: number, parseOptions: MeasureOptions | undefined): Bundle {
  const generated = generateBundle(workloads);
  const file = `generated-${workloads}.yaml`;
  const { timing: parse, last: parsed } = parseOptions
    ? measureRuns(() => parseManifests(generated.yaml, file), parseOptions)
    : single(() => parseManifests(generated.yaml, file));
  if (parsed.diagnostics.length > 0) throw new Error(`generated bundle: ${parsed.diagnostics[0]?.message}`);
  const facts = parseImageFacts(generated.imageFacts, "generated-facts.json");
  if (facts.diagnostics.length > 0) throw new Error(`generated facts: ${facts.diagnostics[0]?.message}`);
  return {
    label: `generated, ${num(workloads)} workloads`,
    workloads,
    resources: parsed.resources,
    images: facts.images,
    bytes: generated.yaml.length,
    parse,
  };
}

/** Times `fn` once, shaped like a measurement. */
export function single<T>(fn: () => T): { timing: Timing; last: T } {
  const { value, ms } = timeOnce(fn);
  return { timing: summarise([ms]), last: value };
}

const WORKLOAD_KINDS = new Set<string>(CORE_WORKLOAD_KINDS);

export function isWorkload(resource: Resource): boolean {
  return WORKLOAD_KINDS.has(resource.ref.kind);
}

/** A label selector that no policy matches: evaluate() then does only its per-resource work. */
export const NO_POLICY: Selector = (() => {
  const parsed = parseLabelSelector("celgate.dev/bench-selects-no-policy");
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.selector;
})();

/**
 * Section 3: the five rules of rules/five-rules.yaml against their hand-written JavaScript
 * twins (rules/five-rules.ts) over the main bundle's workloads, in three tiers: evaluate(), the
 * bare CEL expressions, JavaScript. The tiers must agree on every (rule, workload) first.
 */
import { type Context, isWorkload, NO_POLICY } from "../context.js";
import type { CompiledPolicy, CompiledPolicySet } from "../lib/core.js";
import { compilePolicySet, evaluate } from "../lib/core.js";
import { measure, measureInterleaved, type Timing } from "../lib/measure.js";
import { num, ratio, table, us } from "../lib/table.js";
import { type Activation, activationFor, runDirect } from "../rules/direct.js";
import { JS_RULES, type JsOutcome } from "../rules/five-rules.js";

/** An outcome as the comparison sees it: from JavaScript, from evaluate() or from the bare expressions. */
interface Seen {
  outcome: string;
  messages?: readonly string[];
}

/** A ratio to hand-written JavaScript, by the fastest round and by the median one. */
interface Ratio {
  min: number;
  median: number;
  /** The same by CPU time (see measureInterleaved): what a busy machine inflates less. */
  cpuMin: number;
  cpuMedian: number;
}

interface Row {
  rule: string;
  outcomes: string;
  rounds: number;
  evaluateUs: number;
  evaluateInterpretedUs: number;
  compiledUs: number;
  interpretedUs: number;
  jsUs: number;
  evaluateOverJs: Ratio;
  evaluateInterpretedOverJs: Ratio;
  compiledOverJs: Ratio;
  interpretedOverJs: Ratio;
  timings: Record<string, Timing>;
}

export function rulesSection(ctx: Context, five: CompiledPolicySet): Record<string, unknown> {
  const main = ctx.bundle(ctx.mainWorkloads);
  const workloads = main.resources.filter(isWorkload);
  const activations = workloads.map((r) => activationFor(r, ctx.now));
  // agreement is checked on the rules as the bench compiled them (the default engine)
  const policies = JS_RULES.map((rule) => {
    const policy = five.byName.get(rule.name);
    if (!policy) throw new Error(`five-rules.yaml has no policy ${rule.name}`);
    return policy;
  });
  ctx.print(
    `  ${num(workloads.length)} workloads of the generated bundle; times per workload, median of runs`,
  );

  // agreement first: a fast wrong answer is not a result
  const report = evaluate(five, {
    resources: workloads,
    images: main.images,
    now: ctx.now,
    includeSkipped: true,
  });
  const viaEngine = new Map<string, Seen>();
  for (const r of report.results) {
    viaEngine.set(`${r.policy}\u0000${r.resource.source?.document}`, {
      outcome: r.outcome,
      messages: r.violations.map((v) => v.message),
    });
  }
  const mismatches = { evaluate: 0, expressions: 0, pairs: workloads.length * JS_RULES.length };
  const examples: string[] = [];
  const tallies = new Map<string, Record<string, number>>();
  workloads.forEach((resource, i) => {
    JS_RULES.forEach((rule, k) => {
      const js = rule.check(resource.object);
      const tally = tallies.get(rule.name) ?? {};
      tally[js.outcome] = (tally[js.outcome] ?? 0) + 1;
      tallies.set(rule.name, tally);
      const engine = viaEngine.get(`${rule.name}\u0000${resource.ref.source?.document}`) ?? {
        outcome: "skip",
      };
      const activation = activations[i];
      const direct = activation ? safeDirect(policies[k]!, activation) : { outcome: "skip" };
      for (const [tier, seen] of [
        ["evaluate", engine],
        ["expressions", direct],
      ] as const) {
        if (sameOutcome(js, seen)) continue;
        mismatches[tier]++;
        if (examples.length < 5)
          examples.push(`${rule.name} ${resource.ref.name}: js ${show(js)}, ${tier} ${show(seen)}`);
      }
    });
  });

  // the same rules compiled to JavaScript (the default) and interpreted, whatever CELGATE_CEL_ENGINE says
  const documents = five.policies.map((p) => p.document);
  const compiledSet = compilePolicySet(documents, { celEngine: "compile" }).set;
  const interpretedSet = compilePolicySet(documents, { celEngine: "interpret" }).set;
  const interpretedCount = compiledSet.policies
    .flatMap((p) => [...p.matchConditions, ...p.variables, ...p.validations.map((v) => v.expression)])
    .filter((e) => e.engine !== "compiled").length;
  const pick = (set: CompiledPolicySet) => JS_RULES.map((rule) => set.byName.get(rule.name)!);
  const compiledPolicies = pick(compiledSet);
  const interpretedPolicies = pick(interpretedSet);

  const perWorkload = (ms: number) => (ms * 1000) / workloads.length;
  const rows: Row[] = [];
  const base = { resources: workloads, images: main.images, now: ctx.now };
  const bare = (selected: readonly CompiledPolicy[]) => () => {
    const out: JsOutcome[] = [];
    for (const activation of activations) {
      if (activation) for (const policy of selected) out.push(runDirect(policy, activation));
    }
    return out;
  };
  const handWritten = (rules: typeof JS_RULES) => () => {
    const out: JsOutcome[] = [];
    for (const resource of workloads) for (const rule of rules) out.push(rule.check(resource.object));
    return out;
  };
  const time = (label: string, outcomes: string, names: readonly string[] | undefined, k: number[]) => {
    ctx.progress(`timing ${label} (interleaved)`);
    const only = names ? { policies: [...names] } : {};
    const timings = measureInterleaved(
      [
        ["evaluate", () => evaluate(compiledSet, { ...base, ...only })],
        ["evaluateInterpreted", () => evaluate(interpretedSet, { ...base, ...only })],
        ["compiled", bare(k.map((i) => compiledPolicies[i]!))],
        ["interpreted", bare(k.map((i) => interpretedPolicies[i]!))],
        ["js", handWritten(k.map((i) => JS_RULES[i]!))],
      ],
      ctx.plan.rulesInterleaved,
    );
    const t = (name: string) => timings[name]!;
    const js = t("js");
    const over = (name: string) => ({
      min: t(name).minMs / js.minMs,
      median: t(name).medianMs / js.medianMs,
      cpuMin: t(name).cpu.minMs / js.cpu.minMs,
      cpuMedian: t(name).cpu.medianMs / js.cpu.medianMs,
    });
    rows.push({
      rule: label,
      outcomes,
      rounds: js.iterations,
      evaluateUs: perWorkload(t("evaluate").medianMs),
      evaluateInterpretedUs: perWorkload(t("evaluateInterpreted").medianMs),
      compiledUs: perWorkload(t("compiled").medianMs),
      interpretedUs: perWorkload(t("interpreted").medianMs),
      jsUs: perWorkload(js.medianMs),
      evaluateOverJs: over("evaluate"),
      evaluateInterpretedOverJs: over("evaluateInterpreted"),
      compiledOverJs: over("compiled"),
      interpretedOverJs: over("interpreted"),
      timings,
    });
  };
  JS_RULES.forEach((rule, k) => {
    const t = tallies.get(rule.name) ?? {};
    time(rule.name, `${t.pass ?? 0}/${t.fail ?? 0}/${t.skip ?? 0}`, [rule.name], [k]);
  });
  time(
    "all five together",
    "",
    undefined,
    JS_RULES.map((_, k) => k),
  );
  const overall = rows[rows.length - 1]!;
  const noPolicy = measure(() => evaluate(compiledSet, { ...base, select: NO_POLICY }), ctx.plan.engineRule);
  const pair = (r: Ratio | undefined) => (r === undefined ? "" : `${ratio(r.min)} / ${ratio(r.median)}`);
  const cpuPair = (r: Ratio) => `${ratio(r.cpuMin)} / ${ratio(r.cpuMedian)}`;

  ctx.print(
    table(
      [
        { header: "rule", align: "left" },
        { header: "pass/fail/skip" },
        { header: "rounds" },
        { header: "evaluate() µs" },
        { header: "compiled CEL µs" },
        { header: "interpreted CEL µs" },
        { header: "JS µs" },
        { header: "evaluate()/JS min/med" },
        { header: "compiled/JS min/med" },
        { header: "interpreted/JS min/med" },
        { header: "evaluate() interpreted/JS" },
        { header: "CPU: evaluate()/JS" },
        { header: "CPU: compiled/JS" },
      ],
      rows.map((r) => [
        r.rule,
        r.outcomes,
        num(r.rounds),
        us(r.evaluateUs),
        us(r.compiledUs),
        us(r.interpretedUs),
        us(r.jsUs),
        pair(r.evaluateOverJs),
        pair(r.compiledOverJs),
        pair(r.interpretedOverJs),
        pair(r.evaluateInterpretedOverJs),
        cpuPair(r.evaluateOverJs),
        cpuPair(r.compiledOverJs),
      ]),
    ),
  );
  ctx.print(
    `  (no policy: preparation + report) evaluate() ${us(perWorkload(noPolicy.medianMs))} µs per workload; ` +
      `${interpretedCount} of the rules' expressions fall back to the interpreter`,
  );
  ctx.print(
    `  overall (min / median of interleaved rounds): bare compiled CEL ${pair(overall.compiledOverJs)} ` +
      `hand-written JavaScript (target 3x; interpreted ${pair(overall.interpretedOverJs)}); ` +
      `evaluate() ${pair(overall.evaluateOverJs)} (target 6x; interpreted ${pair(overall.evaluateInterpretedOverJs)})`,
  );
  ctx.print(
    `  by CPU time: bare compiled CEL ${cpuPair(overall.compiledOverJs)} (interpreted ${cpuPair(overall.interpretedOverJs)}); ` +
      `evaluate() ${cpuPair(overall.evaluateOverJs)} (interpreted ${cpuPair(overall.evaluateInterpretedOverJs)})`,
  );
  const agree = mismatches.evaluate + mismatches.expressions === 0;
  ctx.print(
    `  mismatches (outcome and message) in ${num(mismatches.pairs)} (rule, workload) pairs: ` +
      `evaluate() vs JS ${num(mismatches.evaluate)}, CEL expressions vs JS ${num(mismatches.expressions)}` +
      (agree ? " - they agree" : " - MISMATCH: the timings above compare different work"),
  );
  for (const example of examples) ctx.print(`    ! ${example}`);
  return { workloads: workloads.length, rows, mismatches, examples };
}

function safeDirect(policy: Parameters<typeof runDirect>[0], activation: Activation): Seen {
  try {
    return runDirect(policy, activation);
  } catch (error) {
    return { outcome: "error", messages: [(error as Error)?.message ?? String(error)] };
  }
}

function sameOutcome(a: Seen, b: Seen): boolean {
  if (a.outcome !== b.outcome) return false;
  return a.outcome !== "fail" || (a.messages ?? []).join("\n") === (b.messages ?? []).join("\n");
}

function show(o: Seen): string {
  return o.messages && o.messages.length > 0 ? `${o.outcome} (${o.messages.join(" | ")})` : o.outcome;
}

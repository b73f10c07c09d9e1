/**
 * Section 3: the five rules of rules/five-rules.yaml against their hand-written JavaScript
 * twins (rules/five-rules.ts) over the main bundle's workloads, in three tiers: evaluate(), the
 * bare CEL expressions, JavaScript. The tiers must agree on every (rule, workload) first.
 */
import { type Context, isWorkload, NO_POLICY } from "../context.js";
import type { CompiledPolicySet } from "../lib/core.js";
import { evaluate } from "../lib/core.js";
import { measure, type Timing } from "../lib/measure.js";
import { num, ratio, table, us } from "../lib/table.js";
import { type Activation, activationFor, runDirect } from "../rules/direct.js";
import { JS_RULES, type JsOutcome } from "../rules/five-rules.js";

/** An outcome as the comparison sees it: from JavaScript, from evaluate() or from the bare expressions. */
interface Seen {
  outcome: string;
  messages?: readonly string[];
}

interface Row {
  rule: string;
  outcomes: string;
  evaluateUsPerWorkload: number;
  expressionsUsPerWorkload?: number;
  jsUsPerWorkload?: number;
  evaluateOverJs?: number;
  expressionsOverJs?: number;
  timings: Record<string, Timing>;
}

export function rulesSection(ctx: Context, five: CompiledPolicySet): Record<string, unknown> {
  const main = ctx.bundle(ctx.mainWorkloads);
  const workloads = main.resources.filter(isWorkload);
  const activations = workloads.map((r) => activationFor(r, ctx.now));
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

  const perWorkload = (t: Timing) => (t.medianMs * 1000) / workloads.length;
  const rows: Row[] = [];
  const add = (rule: string, outcomes: string, engine: Timing, direct: Timing, js: Timing) => {
    const e = perWorkload(engine);
    const d = perWorkload(direct);
    const j = perWorkload(js);
    rows.push({
      rule,
      outcomes,
      evaluateUsPerWorkload: e,
      expressionsUsPerWorkload: d,
      jsUsPerWorkload: j,
      evaluateOverJs: e / j,
      expressionsOverJs: d / j,
      timings: { evaluate: engine, expressions: direct, js },
    });
  };
  const { engineRule, fastRule } = ctx.plan;
  const base = { resources: workloads, images: main.images, now: ctx.now };
  JS_RULES.forEach((rule, k) => {
    ctx.progress(`timing ${rule.name}`);
    const policy = policies[k]!;
    const engine = measure(() => evaluate(five, { ...base, policies: [rule.name] }), engineRule);
    const direct = measure(() => {
      const out: JsOutcome[] = [];
      for (const activation of activations) if (activation) out.push(runDirect(policy, activation));
      return out;
    }, fastRule);
    const js = measure(() => {
      const out: JsOutcome[] = [];
      for (const resource of workloads) out.push(rule.check(resource.object));
      return out;
    }, fastRule);
    const t = tallies.get(rule.name) ?? {};
    add(rule.name, `${t.pass ?? 0}/${t.fail ?? 0}/${t.skip ?? 0}`, engine, direct, js);
  });
  ctx.progress("timing all five together");
  const engineAll = measure(() => evaluate(five, base), engineRule);
  const directAll = measure(() => {
    const out: JsOutcome[] = [];
    for (const activation of activations) {
      if (activation) for (const policy of policies) out.push(runDirect(policy, activation));
    }
    return out;
  }, fastRule);
  const jsAll = measure(() => {
    const out: JsOutcome[] = [];
    for (const resource of workloads) for (const rule of JS_RULES) out.push(rule.check(resource.object));
    return out;
  }, fastRule);
  add("all five together", "", engineAll, directAll, jsAll);
  const overall = rows[rows.length - 1]!;
  const noPolicy = measure(() => evaluate(five, { ...base, select: NO_POLICY }), engineRule);
  rows.push({
    rule: "(no policy: preparation + report)",
    outcomes: "",
    evaluateUsPerWorkload: perWorkload(noPolicy),
    timings: { evaluate: noPolicy },
  });

  ctx.print(
    table(
      [
        { header: "rule", align: "left" },
        { header: "pass/fail/skip" },
        { header: "evaluate() µs" },
        { header: "CEL exprs µs" },
        { header: "JS µs" },
        { header: "evaluate()/JS" },
        { header: "exprs/JS" },
      ],
      rows.map((r) => [
        r.rule,
        r.outcomes,
        us(r.evaluateUsPerWorkload),
        r.expressionsUsPerWorkload === undefined ? "" : us(r.expressionsUsPerWorkload),
        r.jsUsPerWorkload === undefined ? "" : us(r.jsUsPerWorkload),
        r.evaluateOverJs === undefined ? "" : ratio(r.evaluateOverJs),
        r.expressionsOverJs === undefined ? "" : ratio(r.expressionsOverJs),
      ]),
    ),
  );
  ctx.print(
    `  overall, the figure that matters: evaluate() takes ${ratio(overall.evaluateOverJs)} the time of ` +
      `hand-written JavaScript (the bare CEL expressions ${ratio(overall.expressionsOverJs)})`,
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

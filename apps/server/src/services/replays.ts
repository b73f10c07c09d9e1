import type { ReplayReport, ReplayRequest } from "@celgate/contracts";
import {
  type CompiledPolicySet,
  compilePolicySet,
  type EvaluationReport,
  type PolicyDocument,
  parseLabelSelector,
  parsePolicyDocuments,
  policySchema,
  type ResourceRef,
  type Selector,
} from "@celgate/core";
import type { Evaluator } from "../evaluator/index.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";
import { problems } from "../lib/errors.js";
import { type EvaluationService, resourcesOf } from "./evaluations.js";
import { admissionSetOf, type PolicySetRuntime } from "./policy-set.js";

const MAX_CHANGES = 5000;

/** A recorded request's selector, parsed again (it was checked when recorded). */
function storedSelector(id: string, text: string | undefined): Selector | undefined {
  if (text === undefined) return undefined;
  const parsed = parseLabelSelector(text);
  if (!parsed.ok)
    throw problems.unprocessable(`evaluation ${id} has a selector that no longer parses: ${parsed.error}`);
  return parsed.selector;
}

function key(ref: ResourceRef): string {
  return JSON.stringify([ref.apiVersion, ref.kind, ref.namespace ?? "", ref.name, ref.source?.document ?? 0]);
}

function outcomes(
  report: EvaluationReport,
): Map<string, { ref: ResourceRef; policy: string; outcome: string }> {
  const m = new Map<string, { ref: ResourceRef; policy: string; outcome: string }>();
  for (const r of report.results)
    m.set(`${key(r.resource)}|${r.policy}`, { ref: r.resource, policy: r.policy, outcome: r.outcome });
  return m;
}

/**
 * Replays: candidate policies laid over the set in force, evaluated on the inputs of recorded
 * evaluations, compared outcome by outcome with the set in force on the same inputs. The
 * candidate is compiled into a set of its own (its own digest), so nothing it does reaches the
 * live set or the workers' cache entries for it. Records nothing.
 */
export class ReplayService {
  constructor(
    private readonly runtime: PolicySetRuntime,
    private readonly evaluations: EvaluationService,
    private readonly evaluator: Evaluator,
  ) {}

  async replay(req: ReplayRequest): Promise<ReplayReport> {
    const candidates = this.#candidates(req.policies);
    const snapshot = await this.runtime.get();
    const byName = new Map(snapshot.documents.map((d) => [d.metadata.name, d]));
    for (const name of req.remove ?? []) byName.delete(name);
    for (const c of candidates) byName.set(c.metadata.name, c);
    const { set, diagnostics } = compilePolicySet([...byName.values()]);
    const errors = diagnostics.filter(isError);
    if (errors.length > 0)
      throw problems.unprocessable(
        `the candidate policy set does not compile: ${errors.slice(0, 3).map(describe).join("; ")}`,
        diagnosticErrors(errors),
      );

    const ids =
      req.evaluations ??
      (await this.evaluations.recentIds({ since: req.since, until: req.until, limit: req.limit }));
    const stored = await this.evaluations.inputsOf(ids);
    const missing = ids.filter((id) => !stored.has(id));
    if (req.evaluations && missing.length > 0)
      throw problems.notFound(`no evaluations with ids ${missing.join(", ")}`);

    // --- compiled sets: the candidate's own, never the live one (see the server README) ---
    // `before` is the set in force and `after` the candidate, both evaluated now on the same
    // stored inputs at their original time: only policies that differ can change an outcome
    // (the recorded report may predate other policy, exception or engine changes).
    const live = { full: snapshot.set, admission: snapshot.admissionSet };
    const candidate = { full: set, admission: admissionSetOf(set) };
    const changes: ReplayReport["changes"] = [];
    const decisions: ReplayReport["decisions"] = [];
    let resources = 0;
    let changed = 0;
    for (const id of ids) {
      const entry = stored.get(id);
      if (!entry) continue;
      const { input, report: recorded } = entry;
      const select = storedSelector(id, input.select);
      // Admission reviews were judged without the bundle policies; replay them the same way.
      const rule = input.context.admission === true ? "admission" : "full";
      const evaluateWith = (policySet: CompiledPolicySet) =>
        this.evaluator.evaluate(policySet, {
          resources: resourcesOf(input, this.evaluations.limits),
          images: input.images,
          exceptions: snapshot.exceptions,
          ...(input.params ? { params: input.params } : {}),
          context: input.context,
          now: new Date(recorded.evaluatedAt),
          ...(select ? { select } : {}),
          // as named then: a name no longer in a set selects nothing there (never everything)
          ...(input.policies ? { policies: input.policies } : {}),
        });
      const before = await evaluateWith(live[rule]);
      const after =
        live[rule].digest === candidate[rule].digest ? before : await evaluateWith(candidate[rule]);
      resources += after.summary.resources;
      if (after.decision !== before.decision)
        decisions.push({ evaluation: id, before: before.decision, after: after.decision });
      const a = outcomes(before);
      const b = outcomes(after);
      for (const k of new Set([...a.keys(), ...b.keys()])) {
        const x = a.get(k);
        const y = b.get(k);
        const was = x?.outcome ?? "skip";
        const now = y?.outcome ?? "skip";
        if (was === now) continue;
        changed++;
        if (changes.length < MAX_CHANGES)
          changes.push({
            evaluation: id,
            resource: (y ?? x)!.ref,
            policy: (y ?? x)!.policy,
            before: was as ReplayReport["changes"][number]["before"],
            after: now as ReplayReport["changes"][number]["after"],
          });
      }
    }
    // --- end compiled sets ---
    return {
      policySet: { digest: set.digest, policies: set.policies.length },
      evaluations: stored.size,
      resources,
      changed,
      decisions,
      changes,
    };
  }

  #candidates(policies: ReplayRequest["policies"]): PolicyDocument[] {
    if (policies === undefined) return [];
    if (typeof policies === "string") {
      const parsed = parsePolicyDocuments(policies, "policies");
      const errors = parsed.diagnostics.filter(isError);
      if (errors.length > 0)
        throw problems.unprocessable(
          `candidate policies: ${errors.slice(0, 3).map(describe).join("; ")}`,
          diagnosticErrors(errors),
        );
      return parsed.policies;
    }
    return policies.map((doc, i) => {
      const r = policySchema.safeParse(doc);
      if (!r.success)
        throw problems.unprocessable(
          `candidate policies[${i}] is not a valid Policy`,
          r.error.issues.map((x) => ({ path: `policies[${i}].${x.path.join(".")}`, message: x.message })),
        );
      return r.data;
    });
  }
}

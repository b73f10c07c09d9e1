import { type BudgetLimits, DEFAULT_BUDGET } from "../cel/budget.js";
import { clearManifestConversions } from "../cel/compile/engine.js";
import { withListIndexes } from "../cel/compile/list-index.js";
import { celEnvironment } from "../cel/environment.js";
import { checkManifestDepth, markDepthChecked, toCel } from "../cel/values.js";
import type { CompiledPolicy, CompiledPolicySet } from "../compile/compile.js";
import { emptyFacts } from "../images/facts.js";
import { isReferenceError, parseImageReference } from "../images/reference.js";
import { ImageFactsIndex } from "../images/store.js";
import type { ImageFacts } from "../images/types.js";
import { withoutVulnerabilities } from "../images/waive.js";
import { type MatchSubject, matches, matchSubject } from "../match/match.js";
import { selectPolicies } from "../match/select-policies.js";
import type { Selector } from "../match/selector.js";
import type { ExceptionDocument } from "../policy/schema.js";
import { type FailurePolicy, type ReportHead, ReportTally, withResults } from "../report/outcome.js";
import type { EvaluationReport, ReportNotice, Result } from "../report/types.js";
import { isRecord } from "../resources/identity.js";
import type { Resource } from "../resources/types.js";
import { containersOf, podSpecOf } from "../resources/workload.js";
import { deepFreeze } from "../util/freeze.js";
import { exceptionCovers, exceptionImageMatches, type LiveException, liveExceptions } from "./exceptions.js";
import { type InvariantCache, type RawOutcome, releaseVariables, runPolicy } from "./run-policy.js";

export interface EvaluateInput {
  resources: readonly Resource[];
  /** Image facts from any supplier; matched to the manifests' images by digest or name and tag. */
  images?: readonly ImageFacts[];
  exceptions?: readonly ExceptionDocument[];
  /** Per-policy parameter overrides: `{ "image-allowed-registries": { registries: [...] } }`. */
  params?: Readonly<Record<string, Record<string, unknown>>>;
  /** What the caller says about the deployment (environment, cluster, namespace, commit...). */
  context?: Readonly<Record<string, unknown>>;
  /** Namespace objects known to the caller, in addition to those in the bundle. */
  namespaces?: readonly Record<string, unknown>[];
  /** Evaluation time; defaults to the current time. */
  now?: Date;
  includeSkipped?: boolean;
  /**
   * Leave passing pairs out of `results` (they are still counted in `summary.pass`): for
   * callers that only want what needs attention, and to keep a large report small.
   */
  omitPassing?: boolean;
  /**
   * Label selector over policy labels (`pss in (baseline,restricted)`), parsed once by the
   * caller with `parseLabelSelector`. A selector that matches no policy, or a name in
   * `policies` that is not in the set, is an input error: check with `selectPolicies` first.
   * Here it is a notice, and the report's `policySet` names the (empty) selection.
   */
  select?: Selector;
  /** Only these policies (by name). */
  policies?: readonly string[];
  budget?: BudgetLimits;
  /**
   * Milliseconds the whole evaluation may take (unlimited by default). Past it, every pair not
   * yet evaluated is an `error` outcome: a service sets this so that one request cannot hold
   * the process for long, whatever its policies and inputs.
   */
  timeoutMs?: number;
  /** Called after each resource with the count done and the total, for progress displays. */
  onProgress?: (done: number, total: number) => void;
  /** Report id, when the caller records it. */
  id?: string;
  /**
   * Notices the caller found before evaluating (the documents of the input it skipped:
   * skippedDocumentNotices), carried first in the report's notices.
   */
  notices?: readonly ReportNotice[];
}

/**
 * Evaluates a compiled policy set over resources and image facts and returns the report of
 * policy-format.md: one outcome per (policy, resource), the decision, the summary. Never
 * throws: every runtime problem is an `error` outcome or a notice.
 */
export function evaluate(set: CompiledPolicySet, input: EvaluateInput): EvaluationReport {
  const results: Result[] = [];
  const head = evaluateStream(set, input, (listed) => {
    for (const result of listed) results.push(result);
  });
  return withResults(head, results);
}

/**
 * Takes the results of one resource, in report order: those the report lists (skips only with
 * `includeSkipped`, passes not with `omitPassing`), possibly none. The array is the sink's.
 */
export type ResultSink = (results: Result[], resource: Resource) => void;

/**
 * `evaluate`, streamed: the results go to `sink` resource by resource, in input order (the
 * report's order), and are not kept; the report without its results (decision, summary,
 * notices) is returned at the end. `evaluate` is this with a sink that keeps every result, so
 * both give the same report. Throws only what `sink` throws; every other problem is an `error`
 * outcome or a notice, as with `evaluate`.
 */
export function evaluateStream(set: CompiledPolicySet, input: EvaluateInput, sink: ResultSink): ReportHead {
  try {
    // comprehensions over the same list (the bundle, a variable shared by every resource) index
    // it once per evaluation instead of scanning it for every resource (cel/compile/list-index.ts)
    return withListIndexes(() => evaluateIndexed(set, input, sink));
  } catch (error) {
    if (error instanceof SinkFailure) throw error.error;
    throw error;
  }
}

/** Thrown through the engine's own catch: a failure of the caller's sink is not an evaluation's. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

function evaluateIndexed(set: CompiledPolicySet, input: EvaluateInput, sink: ResultSink): ReportHead {
  const now = input.now ?? new Date();
  const notices: ReportNotice[] = [...(input.notices ?? [])];
  const selection = selectPolicies(set, { select: input.select, policies: input.policies });
  for (const problem of selection.problems) notices.push({ kind: "warning", message: problem.message });
  // the report names the set evaluated: the selection, not the set it was taken from
  const evaluated = selection.set;
  // Results come out of the loop in report order: resource by resource in input order, then by
  // policy name (compiled sets are in name order already; a set made another way is visited in
  // that order), so nothing is sorted or held beyond one resource.
  const policies = byName(evaluated.policies);
  const { live, notices: expired } = liveExceptions(input.exceptions ?? [], now);
  notices.push(...expired);
  // only an error outcome asks for its policy's failurePolicy: the map is made on first use
  let failurePolicies: Map<string, FailurePolicy> | undefined;
  const tally = new ReportTally(input.resources.length, {
    includeSkipped: input.includeSkipped === true,
    omitPassing: input.omitPassing === true,
    failurePolicies: {
      get: (name) => {
        failurePolicies ??= new Map<string, FailurePolicy>(policies.map((p) => [p.name, p.failurePolicy]));
        return failurePolicies.get(name);
      },
    },
  });
  const listSkips = tally.listed("skip");
  // the listed results of the resource under way
  let pending: Result[] = [];
  const keep = (result: Result) => {
    if (tally.add(result)) pending.push(result);
  };
  const flush = (resource: Resource) => {
    const done = pending;
    pending = [];
    try {
      sink(done, resource);
    } catch (error) {
      throw new SinkFailure(error);
    }
  };
  // how far the loop got, for the internal-error path: pairs before it have been decided
  let doneResources = 0;
  let donePolicies = 0;
  // interpreted expressions convert manifests afresh for this evaluation (compile/engine.ts)
  clearManifestConversions();
  try {
    celEnvironment();
    const budget = input.budget ?? DEFAULT_BUDGET;
    const timed = input.timeoutMs !== undefined;
    const deadline = timed ? Date.now() + (input.timeoutMs ?? 0) : Number.POSITIVE_INFINITY;
    const needsBundle = policies.some((p) => p.reads.has("bundle"));
    // Manifests are handed to CEL as they are (compiled expressions read them without a copy);
    // each is checked once, for `object` and for `bundle`.
    const converted = needsBundle ? input.resources.map((r) => convertObject(r.object)) : undefined;
    // image facts are resolved when a policy reads them, or to say which given facts match nothing
    const needsImages = (input.images?.length ?? 0) > 0 || policies.some((p) => p.reads.has("images"));
    const shared = sharedActivation(input, needsBundle, now, converted ?? [], needsImages);
    const perPolicy = policies.map((policy) => policyShared(policy, input.params?.[policy.name]));
    // indexed loops: no iterator or [index, value] pair per resource and per (policy, resource) pair
    const resources = input.resources;
    for (let index = 0; index < resources.length; index++) {
      const resource = resources[index]!;
      const prepared = prepareResource(
        resource,
        converted?.[index] ?? convertObject(resource.object),
        input,
        shared,
      );
      for (let p = 0; p < policies.length; p++) {
        const policy = policies[p]!;
        donePolicies = p;
        if (!matches(policy.match, prepared.subject)) {
          // a skip that is not listed is only counted: no result object
          if (listSkips) keep(blankResult(policy, resource));
          else tally.count("skip");
          continue;
        }
        let limits = budget;
        if (timed) {
          // the clock is read per pair only when the whole evaluation has a deadline
          const remaining = deadline - Date.now();
          if (remaining <= 0) {
            keep({
              ...blankResult(policy, resource),
              outcome: "error",
              error: `evaluation deadline exceeded: the whole evaluation may take ${input.timeoutMs} ms`,
            });
            continue;
          }
          if (remaining < budget.timeoutMs) limits = { ...budget, timeoutMs: remaining };
        }
        keep(evaluatePair(policy, resource, prepared, live, perPolicy[p]!, limits));
      }
      doneResources = index + 1;
      donePolicies = 0;
      flush(resource);
      input.onProgress?.(index + 1, input.resources.length);
    }
    // facts nobody asked for are said out loud: a typo in a reference must not pass unnoticed
    for (const facts of shared.images.unused())
      notices.push({
        kind: "unused-image-facts",
        message: `image facts for ${facts.ref} match no image of the evaluated resources`,
        image: facts.ref,
      });
  } catch (error) {
    if (error instanceof SinkFailure) throw error;
    // A bug must never read as "allow": every pair not evaluated becomes an error outcome
    // (`pending` holds the results of the resource under way that were decided).
    const message = `internal error: ${(error as Error)?.message ?? String(error)}`;
    notices.push({ kind: "warning", message: `evaluation stopped by an ${message}` });
    for (let r = doneResources; r < input.resources.length; r++) {
      const resource = input.resources[r]!;
      for (let p = r === doneResources ? donePolicies : 0; p < policies.length; p++)
        keep({ ...blankResult(policies[p]!, resource), outcome: "error", error: message });
      flush(resource);
    }
  } finally {
    clearManifestConversions();
    // the policies' variable slots keep nothing of this evaluation (run-policy.ts)
    releaseVariables();
  }
  return tally.head({
    policySet: { digest: evaluated.digest, policies: policies.length },
    evaluatedAt: isoTime(now),
    id: input.id,
    notices,
  });
}

/** The second `isoTime` last formatted (ms since the epoch / 1000) and its text up to the seconds. */
let isoSecond = Number.NaN;
let isoPrefix = "";

/**
 * `date.toISOString()`, throwing what it throws (an invalid date). Calls within the same second
 * as the last one (a service's requests often are) reuse its text and only write the
 * milliseconds; only four-digit years (24 characters) are remembered.
 */
export function isoTime(date: Date): string {
  const time = date.getTime();
  const second = Math.floor(time / 1000);
  if (second === isoSecond) {
    const ms = time - second * 1000;
    return `${isoPrefix}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
  }
  const text = date.toISOString();
  if (text.length === 24) {
    isoSecond = second;
    isoPrefix = text.slice(0, 19);
  }
  return text;
}

/** The policies in name order (code units): the order of the report's results per resource. */
function byName(policies: readonly CompiledPolicy[]): readonly CompiledPolicy[] {
  const ordered = policies.every((p, i) => i === 0 || policies[i - 1]!.name < p.name);
  return ordered ? policies : [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What one policy shares across the resources of an evaluation. */
interface PolicyShared {
  /** The policy's params merged with the caller's, as CEL values. */
  params: unknown;
  /** Values of its resource-invariant variables; none when it has no such variable. */
  invariants: InvariantCache | undefined;
}

/** What an evaluation needs of a policy that does not depend on the evaluation. */
interface PolicyConstants {
  /** The policy's `params` and `variables` these were worked out from. */
  source: CompiledPolicy["params"];
  variables: CompiledPolicy["variables"];
  /**
   * `params` as CEL values, deeply frozen: every evaluation without an override shares them.
   * Converted on first use.
   */
  params?: unknown;
  /** Whether any of its variables is resource-invariant (and so needs an InvariantCache). */
  hasInvariants: boolean;
}

const constantsByPolicy = new WeakMap<CompiledPolicy, PolicyConstants>();

/**
 * The policy's share of one evaluation: its params (the policy's own, overridden key by key by
 * the caller's `override`) and a fresh cache for its invariant variables. Without an override
 * the params' CEL values are converted once per policy and shared by every evaluation: CEL
 * never changes a value it is given, and they are frozen so that nothing can. Throws what
 * `toCel` throws (a value nested too deeply), as converting them afresh would.
 */
function policyShared(policy: CompiledPolicy, override: Record<string, unknown> | undefined): PolicyShared {
  let constants = constantsByPolicy.get(policy);
  if (
    constants === undefined ||
    constants.source !== policy.params ||
    constants.variables !== policy.variables
  ) {
    constants = {
      source: policy.params,
      variables: policy.variables,
      hasInvariants: policy.variables.some((v) => v.invariant),
    };
    constantsByPolicy.set(policy, constants);
  }
  let params: unknown;
  if (override !== undefined) params = toCel({ ...policy.params, ...override });
  else {
    if (!("params" in constants)) constants.params = deepFreeze(toCel({ ...policy.params }));
    params = constants.params;
  }
  return { params, invariants: constants.hasInvariants ? new Map() : undefined };
}

interface SharedActivation {
  context: unknown;
  now: Date;
  bundle: unknown[];
  namespaces: Map<string, Record<string, unknown>>;
  images: ImageFactsIndex;
  /** Facts per image reference as written: each distinct image is resolved once per evaluation. */
  factsByRef: Map<string, ImageFacts>;
  /** False when no policy reads `images` and no facts were given: resources' images stay unresolved. */
  resolveImages: boolean;
}

/** A manifest as CEL is handed it (the object itself), or why it cannot be (too deep). */
export type Converted = { value: Record<string, unknown> } | { error: string };

/**
 * Checks that a manifest can be handed to CEL: its value is the object itself, not a copy
 * (MANIFEST_VARIABLES), which CEL expressions read without changing it.
 */
export function convertObject(object: Record<string, unknown>): Converted {
  try {
    checkManifestDepth(object);
    return { value: object };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function sharedActivation(
  input: EvaluateInput,
  needsBundle: boolean,
  now: Date,
  converted: readonly Converted[],
  resolveImages = true,
): SharedActivation {
  const namespaces = new Map<string, Record<string, unknown>>();
  for (const ns of input.namespaces ?? []) addNamespace(namespaces, ns);
  for (const r of input.resources) if (r.object.kind === "Namespace") addNamespace(namespaces, r.object);
  const bundle = needsBundle ? converted.flatMap((c) => ("value" in c ? [c.value] : [])) : [];
  // each object of the list has been checked
  markDepthChecked(bundle);
  return {
    context: toCel(input.context ?? {}),
    now,
    bundle,
    namespaces,
    images: new ImageFactsIndex(input.images ?? []),
    factsByRef: new Map(),
    resolveImages,
  };
}

function addNamespace(map: Map<string, Record<string, unknown>>, ns: Record<string, unknown>): void {
  const metadata = isRecord(ns.metadata) ? ns.metadata : undefined;
  if (metadata && typeof metadata.name === "string") map.set(metadata.name, ns);
}

interface PreparedResource {
  subject: MatchSubject;
  /**
   * The CEL variables of this resource. One object per resource, reused by every policy:
   * `params` and `images` are set per policy before it runs (evaluation is sequential).
   */
  base: Record<string, unknown> | undefined;
  /** Why the resource cannot be evaluated at all (too deep, ...). */
  failure?: string;
  images: ImageFacts[];
  /** `images` as CEL values, for the policies that see them unchanged. */
  celImages: unknown[];
  imageRefs: string[];
}

export function prepareResource(
  resource: Resource,
  converted: Converted,
  input: EvaluateInput,
  shared: SharedActivation,
): PreparedResource {
  const namespaceName = matchSubject(resource.object, input.context as Record<string, unknown>).namespace;
  const namespaceObject = namespaceName !== undefined ? shared.namespaces.get(namespaceName) : undefined;
  const subject = matchSubject(resource.object, input.context as Record<string, unknown>, namespaceObject);
  if ("error" in converted)
    return { subject, base: undefined, failure: converted.error, images: [], celImages: [], imageRefs: [] };
  const object = converted.value;
  const podSpec = podSpecOf(object);
  const containers = containersOf(podSpec);
  // parts of the object, which has been checked
  markDepthChecked(podSpec);
  markDepthChecked(containers);
  const imageRefs = [
    ...new Set(containers.map((c) => c.image).filter((i): i is string => typeof i === "string")),
  ];
  const images = (shared.resolveImages ? imageRefs : []).map((ref) => {
    let facts = shared.factsByRef.get(ref);
    if (!facts) {
      if (shared.images.size === 0) facts = factsOfUnsupplied(ref);
      else {
        const parsed = parseImageReference(ref);
        facts = isReferenceError(parsed) ? unparsedFacts(ref) : shared.images.lookup(parsed);
      }
      shared.factsByRef.set(ref, facts);
    }
    return facts;
  });
  return {
    subject,
    images,
    celImages: images.map(imageToCel),
    imageRefs,
    base: {
      object,
      oldObject: resource.oldObject ? checkedManifest(resource.oldObject) : null,
      request: resource.request ? (safeToCel(resource.request) ?? null) : null,
      namespaceObject: namespaceObject ? checkedManifest(namespaceObject) : null,
      podSpec,
      containers,
      bundle: shared.bundle,
      context: shared.context,
      now: shared.now,
    },
  };
}

/** The facts of an image whose reference does not parse: nothing is known, not even its registry. */
function unparsedFacts(ref: string): ImageFacts {
  return emptyFacts({ ref, registry: "", repository: "", tag: null, digest: null });
}

/** How many references `factsOfUnsupplied` remembers (then it starts afresh). */
const UNSUPPLIED_LIMIT = 1_024;
let unsupplied = new Map<string, ImageFacts>();

/**
 * The facts of the image `ref` names when no facts were supplied at all: what looking it up in
 * an empty index gives (`emptyFacts` of the parsed reference, or of nothing for a reference that
 * does not parse), the same for every evaluation. So they are made once per reference, with
 * their CEL value (imageToCel), and shared by the evaluations that follow; both are frozen so
 * that none can change them for the others.
 */
function factsOfUnsupplied(ref: string): ImageFacts {
  let facts = unsupplied.get(ref);
  if (facts === undefined) {
    const parsed = parseImageReference(ref);
    facts = deepFreeze(isReferenceError(parsed) ? unparsedFacts(ref) : emptyFacts(parsed));
    deepFreeze(imageToCel(facts));
    if (unsupplied.size >= UNSUPPLIED_LIMIT) unsupplied = new Map();
    unsupplied.set(ref, facts);
  }
  return facts;
}

function evaluatePair(
  policy: CompiledPolicy,
  resource: Resource,
  prepared: PreparedResource,
  exceptions: readonly LiveException[],
  shared: PolicyShared,
  budget: BudgetLimits | undefined,
): Result {
  const result = blankResult(policy, resource);
  try {
    return decidePair(result, policy, prepared, exceptions, shared, budget);
  } catch (error) {
    return {
      ...result,
      outcome: "error",
      error: `internal error: ${(error as Error)?.message ?? String(error)}`,
    };
  }
}

function blankResult(policy: CompiledPolicy, resource: Resource): Result {
  const result: Result = {
    resource: resource.ref,
    policy: policy.name,
    severity: policy.severity,
    action: policy.action,
    outcome: "skip",
    violations: [],
    error: null,
    exception: null,
  };
  if (policy.title) result.title = policy.title;
  if (policy.remediation) result.remediation = policy.remediation;
  return result;
}

function decidePair(
  result: Result,
  policy: CompiledPolicy,
  prepared: PreparedResource,
  exceptions: readonly LiveException[],
  shared: PolicyShared,
  budget: BudgetLimits | undefined,
): Result {
  // the caller has checked that the policy matches the resource
  if (!prepared.base) {
    result.outcome = "error";
    result.error = `cannot evaluate this resource: ${prepared.failure}`;
    return result;
  }
  const base = prepared.base;
  // no exception can waive anything: the policy runs once, on the resource's images
  if (exceptions.length === 0)
    return withOutcome(result, runOn(policy, prepared, base, shared, budget, prepared.images));
  const covering = exceptions.filter((e) => exceptionCovers(e, policy.name, prepared.subject));
  const cveWaivers = covering.filter((e) => e.vulnerabilities);
  const fullWaivers = covering.filter(
    (e) => !e.vulnerabilities && exceptionImageMatches(e, prepared.imageRefs),
  );

  const run = (images: readonly ImageFacts[]): RawOutcome =>
    runOn(policy, prepared, base, shared, budget, images);

  let raw: RawOutcome;
  let waivedBy: string | null = null;
  if (cveWaivers.length > 0 && policy.reads.has("images")) {
    const reduced = prepared.images.map((facts) => {
      let out = facts;
      for (const e of cveWaivers) {
        if (exceptionImageMatches(e, [facts.ref])) out = withoutVulnerabilities(out, e.vulnerabilities!);
      }
      return out;
    });
    raw = run(reduced);
    if (raw.outcome === "pass") {
      const original = run(prepared.images);
      if (original.outcome === "fail" || original.outcome === "error")
        waivedBy = cveWaivers.map((e) => e.name).join(",");
    }
  } else {
    raw = run(prepared.images);
  }
  if ((raw.outcome === "fail" || raw.outcome === "error") && fullWaivers.length > 0) {
    waivedBy = fullWaivers.map((e) => e.name).join(",");
    result.outcome = "waived";
    if (raw.outcome === "fail") result.violations = raw.violations;
    result.exception = waivedBy;
    return result;
  }
  if (waivedBy) {
    result.outcome = "waived";
    result.exception = waivedBy;
    return result;
  }
  return withOutcome(result, raw);
}

/** Runs the policy on the resource's variables (`base`), with `images` for its images. */
function runOn(
  policy: CompiledPolicy,
  prepared: PreparedResource,
  base: Record<string, unknown>,
  shared: PolicyShared,
  budget: BudgetLimits | undefined,
  images: readonly ImageFacts[],
): RawOutcome {
  base.params = shared.params;
  base.images = images === prepared.images ? prepared.celImages : images.map(imageToCel);
  return runPolicy(policy, base, budget, shared.invariants);
}

/** `result` with the outcome of the policy's run (no exception waived it). */
function withOutcome(result: Result, raw: RawOutcome): Result {
  result.outcome = raw.outcome;
  if (raw.outcome === "fail") result.violations = raw.violations;
  if (raw.outcome === "error") result.error = raw.error;
  return result;
}

const celFacts = new WeakMap<ImageFacts, unknown>();

/** Image facts as CEL sees them: counts as ints, `scannedAt`, `createdAt` and each `verifiedAt` as timestamps. */
function imageToCel(facts: ImageFacts): unknown {
  let value = celFacts.get(facts);
  if (value === undefined) {
    const converted = toCel(facts) as Record<string, unknown>;
    if (facts.createdAt) converted.createdAt = new Date(facts.createdAt);
    if (facts.scan?.scannedAt && converted.scan) {
      (converted.scan as Record<string, unknown>).scannedAt = new Date(facts.scan.scannedAt);
    }
    const signatures = converted.signatures as Record<string, unknown>[];
    facts.signatures.forEach((s, i) => {
      const converted = signatures[i];
      if (s.verifiedAt && converted) converted.verifiedAt = new Date(s.verifiedAt);
    });
    value = converted;
    celFacts.set(facts, value);
  }
  return value;
}

function safeToCel(value: unknown): unknown {
  try {
    return toCel(value);
  } catch {
    return undefined;
  }
}

/** A manifest for a CEL variable as it is, or null when it is too deep to be read. */
function checkedManifest(value: Record<string, unknown>): Record<string, unknown> | null {
  const checked = convertObject(value);
  return "value" in checked ? checked.value : null;
}

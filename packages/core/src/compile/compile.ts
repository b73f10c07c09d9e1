import { TypeError as CelTypeError } from "@marcbachmann/cel-js";
import { type CelEngine, prepareRun, type VariableOptions } from "../cel/compile/engine.js";
import {
  CEL_VARIABLES,
  celEnvironment,
  MANIFEST_VARIABLES,
  type ParsedExpression,
} from "../cel/environment.js";
import { hiddenCharacter } from "../cel/hidden-characters.js";
import { ESTIMATED_COST_LIMIT } from "../cel/types/cost.js";
import { faultOffset, PolicyTypes, type TypedResult } from "../cel/types/typed-check.js";
import type { DiagnosticCode } from "../diagnostics/codes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { expressionPosition } from "../policy/expression-position.js";
import { type DocumentOrigin, formatPath, type Located } from "../policy/parse.js";
import type { PolicyDocument, PolicyMatch } from "../policy/schema.js";
import type { FailurePolicy, PolicyAction, Severity } from "../report/types.js";
import { parsePath } from "../util/path.js";
import { canonicalJson, sha256Hex } from "../util/sha256.js";
import { ENGINE_VERSION } from "../version.js";
import { functionsCalled, identifiersOf, paramReferences, variableReferences } from "./ast.js";

/** One compiled CEL expression and where it came from. */
export interface CompiledExpression {
  /** Document path, e.g. `spec.validations[0].expression`. */
  path: string;
  source: string;
  run: ParsedExpression;
  /** Whether `run` is compiled JavaScript or cel-js's interpreter (cel/compile/). */
  engine: "compiled" | "interpreted";
  /** Why the expression is interpreted, when it is. */
  interpretedBecause?: string;
  /**
   * A variable's compiled expression that may return a Kubernetes object's part as it is, not
   * its CEL value (cel/compile/engine.ts): whoever reads the value by the variable's name gets
   * it converted (evaluate/run-policy.ts); compiled readers read it as it is.
   */
  rawResult?: boolean;
  /** Estimated worst-case cost, as Kubernetes estimates it (cel/types/cost.ts). */
  cost?: number;
}

/**
 * A policy variable. `invariant` variables read only what is the same for every resource of an
 * evaluation (`bundle`, `params`, `context`, `now` and other invariant variables), so the
 * evaluator computes them once per evaluation instead of once per resource: an index of the
 * bundle's NetworkPolicies costs O(bundle) once, not O(bundle) per workload.
 */
export interface CompiledVariable extends CompiledExpression {
  name: string;
  invariant: boolean;
}

/** CEL variables whose value does not change from one resource of an evaluation to the next. */
const INVARIANT_INPUTS = new Set(["bundle", "params", "context", "now", "variables"]);

export interface CompiledValidation {
  expression: CompiledExpression;
  message?: string;
  messageExpression?: CompiledExpression;
  reason?: string;
  fieldPath?: string;
}

/** A policy ready to evaluate: every expression parsed and type-checked once. */
export interface CompiledPolicy {
  name: string;
  document: PolicyDocument;
  /** `sha256:` of the canonical JSON of `document` (after defaults): the policy's content identity. */
  digest: string;
  labels: Record<string, string>;
  title?: string;
  severity: Severity;
  action: PolicyAction;
  failurePolicy: FailurePolicy;
  remediation?: string;
  match?: PolicyMatch;
  params: Record<string, unknown>;
  matchConditions: (CompiledExpression & { name: string })[];
  variables: CompiledVariable[];
  validations: CompiledValidation[];
  /** Top-level CEL variables the policy reads (e.g. `images`, `bundle`): decides VAP exportability. */
  reads: Set<string>;
  /** Functions the policy calls. */
  calls: Set<string>;
  /**
   * The params a caller may set for this policy: those declared in `spec.params` and those its
   * expressions read by name (`params.?x`, `has(params.x)`, `params["x"]`). Any other key would
   * change nothing, so callers refuse it (`paramProblems`), unless `dynamicParams`.
   */
  paramKeys: ReadonlySet<string>;
  /**
   * Whether an expression uses `params` other than by a literal key (`params[k]`, `dyn(params)`,
   * `cel.bind(p, params, ...)`): it may read any key, so every key is accepted.
   */
  dynamicParams: boolean;
  origin?: DocumentOrigin;
}

/**
 * Policies ready to evaluate, in name order. `digest` identifies exactly what the set holds:
 * the engine version and the content digest of every policy in it (see `policySetDigest`).
 * Two sets with the same digest evaluate alike, so a compiled form may be cached under it; a
 * subset (the admission set, a `select`) is another set with its own digest (see `subsetOf`).
 */
export interface CompiledPolicySet {
  policies: CompiledPolicy[];
  byName: Map<string, CompiledPolicy>;
  digest: string;
}

/**
 * The identity of a set of compiled policies: `sha256:` of the canonical JSON of
 * `{engine: ENGINE_VERSION, policies: [each policy's digest, in name order]}`. Only content
 * counts: whatever rule chose the policies, the same policies are the same set.
 */
export function policySetDigest(policies: readonly CompiledPolicy[]): string {
  const digests = [...policies]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => p.digest);
  return `sha256:${sha256Hex(canonicalJson({ engine: ENGINE_VERSION, policies: digests }))}`;
}

/**
 * The policies of `set` that `keep` accepts, as a set of its own with its own digest. Returns
 * `set` itself when every policy is kept. Never throws (unless `keep` does).
 */
export function subsetOf(
  set: CompiledPolicySet,
  keep: (policy: CompiledPolicy) => boolean,
): CompiledPolicySet {
  const policies = set.policies.filter(keep);
  if (policies.length === set.policies.length) return set;
  return { policies, byName: new Map(policies.map((p) => [p.name, p])), digest: policySetDigest(policies) };
}

/** What the typed check (cel/types/typed-check.ts) found for an expression that passed it. */
export interface TypedFacts {
  /** The expression's type in each typed pass. */
  types: string[];
  /** Estimated worst-case cost. */
  cost: number;
}

/**
 * The typed check's findings by policy and expression path (key: `typedFactsKey`), kept from an
 * earlier compile of the same documents by the same engine build. The typed check only judges
 * (it refuses or accepts an expression, and gives its type and estimated cost); what runs is
 * built from the dynamic check, so replaying its findings changes nothing but the time taken.
 */
export type TypedFactsMemo = Map<string, TypedFacts>;

/** The key of an expression in a TypedFactsMemo. */
export function typedFactsKey(policy: string, path: string): string {
  return `${policy}\u0000${path}`;
}

export interface CompileOptions {
  /** Lines of each source file, for caret rendering of expression errors. */
  fileLines?: (file: string) => readonly string[] | undefined;
  /** Compile CEL to JavaScript (default) or interpret it; default: `CELGATE_CEL_ENGINE`. */
  celEngine?: CelEngine;
  /**
   * Findings of the typed check to replay, and where to add the ones made now (every expression
   * that passes it). Only for documents that an earlier compile by this engine build accepted
   * as they are: a caller that cannot vouch for that (a cache keyed by the documents' bytes and
   * the engine build does) must not pass entries, since a replayed finding is not checked again.
   */
  typedFacts?: TypedFactsMemo;
}

/**
 * Compiles a set of policies: parses and type-checks every expression once, checks variable
 * references and duplicate names. Returns every problem at once; policies with errors are left
 * out of the set. Never throws.
 */
export function compilePolicySet(
  input: readonly (PolicyDocument | Located<PolicyDocument>)[],
  options: CompileOptions = {},
): { set: CompiledPolicySet; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const compiled: CompiledPolicy[] = [];
  const seen = new Map<string, DocumentOrigin | undefined>();
  for (const item of input) {
    const { doc, origin } = "doc" in item ? item : { doc: item, origin: undefined };
    const name = doc.metadata.name;
    if (seen.has(name)) {
      const first = seen.get(name);
      diagnostics.push({
        code: "duplicate-policy",
        message: `policy ${name} is defined more than once${first?.file ? ` (first in ${first.file})` : ""}`,
        path: "metadata.name",
        file: origin?.file,
        ...at(origin, ["metadata", "name"]),
      });
      continue;
    }
    seen.set(name, origin);
    const result = compilePolicy(doc, origin, options);
    diagnostics.push(...result.diagnostics);
    if (result.policy) compiled.push(result.policy);
  }
  compiled.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    set: {
      policies: compiled,
      byName: new Map(compiled.map((p) => [p.name, p])),
      digest: policySetDigest(compiled),
    },
    diagnostics,
  };
}

/**
 * Every expression of a compiled policy, in document order: variables, match conditions,
 * validations with their message expressions.
 */
export function expressionsOf(policy: CompiledPolicy): CompiledExpression[] {
  return [
    ...policy.variables,
    ...policy.matchConditions,
    ...policy.validations.flatMap((v) =>
      v.messageExpression ? [v.expression, v.messageExpression] : [v.expression],
    ),
  ];
}

/**
 * A warning for each expression of `policy` whose estimated worst-case cost is over
 * Kubernetes' per-expression limit, at the expression's position. Not part of compiling:
 * celgate's evaluation budget stops such an expression at run time, and the API server does
 * not refuse a ValidatingAdmissionPolicy by estimate, so `validate` and `export vap` warn.
 * Never throws.
 */
export function costWarnings(policy: CompiledPolicy, options: CompileOptions = {}): Diagnostic[] {
  const origin = policy.origin;
  const lines = origin?.file ? options.fileLines?.(origin.file) : undefined;
  const out: Diagnostic[] = [];
  for (const e of expressionsOf(policy)) {
    if ((e.cost ?? 0) <= ESTIMATED_COST_LIMIT) continue;
    const base = origin?.position?.(parsePath(e.path));
    const at = expressionPosition(base, e.source, 0, lines ?? []) ?? base;
    out.push({
      code: "cel-cost",
      message: `estimated cost ${(e.cost ?? 0).toLocaleString("en-US")} is over Kubernetes' per-expression limit of ${ESTIMATED_COST_LIMIT.toLocaleString("en-US")}: bound the lists and strings it walks, or walk fewer`,
      path: e.path,
      file: origin?.file,
      line: at?.line,
      column: at?.column,
      sourceLine: at?.sourceLine,
      severity: "warning",
    });
  }
  return out;
}

/** Compiles one policy. Never throws. */
export function compilePolicy(
  doc: PolicyDocument,
  origin?: DocumentOrigin,
  options: CompileOptions = {},
): { policy?: CompiledPolicy; diagnostics: Diagnostic[] } {
  const env = celEnvironment();
  const diagnostics: Diagnostic[] = [];
  const reads = new Set<string>();
  const calls = new Set<string>();
  const declared = new Set<string>();
  const paramKeys = new Set(Object.keys(doc.spec.params ?? {}));
  let dynamicParams = false;
  const lines = origin?.file ? options.fileLines?.(origin.file) : undefined;

  const types = new PolicyTypes(doc.spec.params, doc.spec.match);
  /** The compiled expression and its type in each typed pass (see PolicyTypes). */
  const compile = (
    path: (string | number)[],
    source: string,
    want: "bool" | "string" | "any",
    variableOptions: VariableOptions,
  ): { expression: CompiledExpression; types: string[] } | undefined => {
    const pathText = formatPath(path);
    const report = (message: string, offset: number, code: DiagnosticCode) => {
      const base = origin?.position?.(path);
      const at = expressionPosition(base, source, offset, lines ?? []) ?? base;
      diagnostics.push({
        code,
        message,
        path: pathText,
        file: origin?.file,
        line: at?.line,
        column: at?.column,
        sourceLine: at?.sourceLine,
      });
    };
    const hidden = hiddenCharacter(source);
    if (hidden) {
      report(
        `the expression holds ${hidden.description}, which makes it read differently than it runs; remove it, or write it as an escape (\\u${hidden.description.slice(2, 6).toLowerCase()}) inside a string`,
        hidden.offset,
        "cel-hidden-character",
      );
      return undefined;
    }
    let run: ParsedExpression;
    try {
      run = env.parse(source) as unknown as ParsedExpression;
    } catch (error) {
      const e = error as Error & { summary?: string; range?: { start: number } };
      report(`CEL syntax error: ${e.summary ?? e.message.split("\n")[0]}`, e.range?.start ?? 0, "cel-syntax");
      return undefined;
    }
    const checked = run.check();
    const typedCheck = () =>
      types.check(
        source,
        identifiersOf(run.ast),
        variableReferences(run.ast).map((ref) => ref.name),
      );
    if (!checked.valid) {
      // with the Kubernetes types the fault is often found earlier and more exactly
      // (`name + 1 == 'a'`: at the `+`, not at the `==` of a dynamic sum)
      const typed = checked.error instanceof CelTypeError ? typedCheck() : undefined;
      if (typed && !typed.ok) {
        report(typed.error.message, typed.error.offset, "cel-type");
        return undefined;
      }
      const e = checked.error as Error & { summary?: string; range?: { start: number }; node?: unknown };
      const offset = e.node ? faultOffset(e.node as never, source) : (e.range?.start ?? 0);
      report(`CEL type error: ${e.summary ?? e.message.split("\n")[0]}`, offset, "cel-type");
      return undefined;
    }
    for (const ref of variableReferences(run.ast)) {
      if (!declared.has(ref.name)) {
        report(
          `unknown variable variables.${ref.name}: declare it under spec.variables before the expressions that use it`,
          ref.offset,
          "cel-unknown-variable",
        );
        return undefined;
      }
    }
    const memoKey = options.typedFacts ? typedFactsKey(doc.metadata.name, pathText) : undefined;
    const remembered = memoKey !== undefined ? options.typedFacts?.get(memoKey) : undefined;
    const typed: TypedResult = remembered ? { ok: true, ...remembered } : typedCheck();
    if (!typed.ok) {
      report(typed.error.message, typed.error.offset, "cel-type");
      return undefined;
    }
    if (memoKey !== undefined && !remembered)
      options.typedFacts?.set(memoKey, { types: typed.types, cost: typed.cost });
    const wrong = [checked.type, ...typed.types].find((t) => want !== "any" && t !== want && t !== "dyn");
    if (wrong !== undefined) {
      report(`must evaluate to ${want}, but its type is ${wrong}`, 0, "cel-type");
      return undefined;
    }
    for (const id of identifiersOf(run.ast)) if (Object.hasOwn(CEL_VARIABLES, id)) reads.add(id);
    for (const fn of functionsCalled(run.ast)) calls.add(fn);
    const paramsRead = paramReferences(run.ast);
    for (const key of paramsRead.keys) paramKeys.add(key);
    dynamicParams ||= paramsRead.dynamic;
    return {
      expression: {
        path: pathText,
        source,
        cost: typed.cost,
        ...prepareRun(env, run, options.celEngine, MANIFEST_VARIABLES, variableOptions),
      },
      types: typed.types,
    };
  };

  const spec = doc.spec;
  const variables: CompiledPolicy["variables"] = [];
  // the variables whose compiled function may return a manifest's part as it is: compiled
  // expressions after them read those as they are, without the copy their CEL value is
  const rawVariables = new Set<string>();
  spec.variables?.forEach((v, i) => {
    if (declared.has(v.name)) {
      diagnostics.push({
        code: "duplicate-variable",
        message: `variable ${v.name} is declared twice`,
        path: `spec.variables[${i}].name`,
        file: origin?.file,
        ...at(origin, ["spec", "variables", i, "name"]),
      });
      return;
    }
    const compiled = compile(["spec", "variables", i, "expression"], v.expression, "any", {
      rawVariables: new Set(rawVariables),
      returnRaw: true,
    });
    declared.add(v.name); // declared even when broken, so later references do not repeat the error
    types.declareVariable(v.name, compiled?.types);
    if (!compiled) return;
    const expr = compiled.expression;
    const uses = [...identifiersOf(expr.run.ast)].filter((id) => Object.hasOwn(CEL_VARIABLES, id));
    const invariant =
      uses.every((id) => INVARIANT_INPUTS.has(id)) &&
      variableReferences(expr.run.ast).every(
        (ref) => variables.find((x) => x.name === ref.name)?.invariant === true,
      );
    if (expr.rawResult) rawVariables.add(v.name);
    variables.push({ ...expr, name: v.name, invariant });
  });
  const matchConditions: CompiledPolicy["matchConditions"] = [];
  spec.matchConditions?.forEach((c, i) => {
    const expr = compile(["spec", "matchConditions", i, "expression"], c.expression, "bool", {
      rawVariables,
    })?.expression;
    if (expr) matchConditions.push({ ...expr, name: c.name });
  });
  const validations: CompiledValidation[] = [];
  spec.validations.forEach((v, i) => {
    const expression = compile(["spec", "validations", i, "expression"], v.expression, "bool", {
      rawVariables,
    })?.expression;
    const messageExpression =
      v.messageExpression !== undefined
        ? compile(["spec", "validations", i, "messageExpression"], v.messageExpression, "string", {
            rawVariables,
          })?.expression
        : undefined;
    if (!expression) return;
    validations.push({
      expression,
      message: v.message,
      messageExpression,
      reason: v.reason,
      fieldPath: v.fieldPath,
    });
  });
  if (diagnostics.length > 0) return { diagnostics };
  return {
    diagnostics,
    policy: {
      name: doc.metadata.name,
      document: doc,
      digest: `sha256:${sha256Hex(canonicalJson(doc))}`,
      labels: doc.metadata.labels ?? {},
      title: spec.title,
      severity: spec.severity,
      action: spec.action,
      failurePolicy: spec.failurePolicy,
      remediation: spec.remediation,
      match: spec.match,
      params: spec.params ?? {},
      matchConditions,
      variables,
      validations,
      reads,
      calls,
      paramKeys,
      dynamicParams,
      origin,
    },
  };
}

function at(origin: DocumentOrigin | undefined, path: (string | number)[]) {
  const position = origin?.position?.(path);
  return position ? { line: position.line, column: position.column, sourceLine: position.sourceLine } : {};
}

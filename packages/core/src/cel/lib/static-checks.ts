/**
 * Compile-time checks that Kubernetes makes and cel-js's type checker does not, run on every
 * expression celgate compiles (see environment.ts). Each returns a cel-js TypeError whose range
 * is the offending node, so the caret stands under it.
 *
 * Before type checking: `authorizer`, which only an API server can provide.
 * After type checking:
 * - literal regular expressions in `matches`, `find` and `findAll` (cel-go's
 *   ValidateRegexLiterals and Kubernetes' precompiled regex library);
 * - literal durations and timestamps (ValidateDurationLiterals, ValidateTimestampLiterals);
 * - `format()` with a literal format string and a literal argument list: an unparsable clause,
 *   a number of arguments other than the clauses use, or an argument of a known type its
 *   clause does not take (cel-go's format validator);
 * - `sum()`, `min()`, `max()`, `isSorted()` and `sort()` on a list whose element type is known
 *   and has no such overload in Kubernetes (their overloads are declared per element type);
 * - list and map literals whose elements (keys, values) have different static types
 *   (cel.HomogeneousAggregateLiterals), except inside `format()` calls, which cel-go exempts
 *   (the format list mixes types by design). An element whose type is dyn is not compared: in
 *   Kubernetes it would mostly have a schema type celgate cannot know. cel-js's own option for
 *   this also rejects a dyn element next to a typed one, so celgate checks it here instead.
 */
import { TypeError as CelTypeError } from "@marcbachmann/cel-js";
import { astNodes, isAstNode } from "./ast.js";
import type { CelAst } from "./hooks.js";
import { compileRe2 } from "./regex/index.js";
import { ORDERED_TYPES } from "./shared.js";
import { formatClauseVerbs } from "./strings/format.js";
import { optionalPositions } from "./syntax/index.js";

/** A node as cel-js leaves it after type checking. */
interface Node extends CelAst {
  checkedType?: CelType;
}

interface CelType {
  name: string;
  kind: string;
  valueType?: CelType;
  hasDynType?: boolean;
  hasPlaceholderType?: boolean;
}

const COMPARABLE = ORDERED_TYPES;
const SUMMABLE = new Set(["int", "uint", "double", "google.protobuf.Duration"]);
/** Kubernetes' list functions whose overloads exist only for these element types. */
const ELEMENT_TYPES: Readonly<Record<string, ReadonlySet<string>>> = {
  sum: SUMMABLE,
  min: COMPARABLE,
  max: COMPARABLE,
  isSorted: COMPARABLE,
  sort: COMPARABLE,
};

export const AUTHORIZER_MESSAGE =
  "authorizer is only available inside a Kubernetes API server; celgate evaluates outside one";

function isNode(value: unknown): value is Node {
  return isAstNode(value);
}

function stringLiteral(node: unknown): string | undefined {
  return isNode(node) && node.op === "value" && typeof node.args === "string" ? node.args : undefined;
}

function error(message: string, node: Node): Error {
  return new CelTypeError({ code: "celgate_static_check", message, node } as never);
}

/** A call's name, receiver (for methods) and argument nodes. */
function callParts(node: Node): { name: string; receiver?: Node; args: Node[] } | undefined {
  const args = node.args as unknown[];
  if (node.op === "rcall")
    return { name: args[0] as string, receiver: args[1] as Node, args: args[2] as Node[] };
  if (node.op === "call") return { name: args[0] as string, args: args[1] as Node[] };
  return undefined;
}

/** The check that must run before type checking (which would report an unknown variable). */
export function checkBeforeTypes(root: CelAst): Error | undefined {
  for (const node of astNodes<Node>(root as Node)) {
    if (node.op === "id" && node.args === "authorizer") return error(AUTHORIZER_MESSAGE, node);
  }
  return undefined;
}

/**
 * The checks on a type-checked tree; `evaluateLiteral` evaluates a small constant expression
 * (a duration or timestamp conversion) in the same environment and throws its error.
 */
export function checkAfterTypes(
  root: CelAst,
  evaluateLiteral: (expression: string) => unknown,
): Error | undefined {
  const nodes = astNodes<Node>(root as Node);
  const exempt = new Set<Node>();
  for (const node of nodes) {
    const call = callParts(node);
    if (call?.receiver && call.name === "format")
      for (const arg of call.args) for (const n of astNodes<Node>(arg)) exempt.add(n);
  }
  for (const node of nodes) {
    if (exempt.has(node) && (node.op === "list" || node.op === "map")) continue;
    if (node.op === "list") {
      const problem = checkHomogeneous(node.args as Node[], "list element", optionalPositions(node));
      if (problem) return problem;
      continue;
    }
    if (node.op === "map") {
      const entries = node.args as [Node, Node][];
      const problem =
        checkHomogeneous(
          entries.map((e) => e[0]),
          "map key",
        ) ??
        checkHomogeneous(
          entries.map((e) => e[1]),
          "map value",
          optionalPositions(node),
        );
      if (problem) return problem;
      continue;
    }
    const call = callParts(node);
    if (!call) continue;
    const problem = checkCall(node, call, evaluateLiteral);
    if (problem) return problem;
  }
  return undefined;
}

const NUMBERS = ["int", "uint"];
/** The argument types each format verb takes (cel-go's formatting, strings version 2). */
const FORMAT_ARGUMENTS: Readonly<Record<string, (type: CelType) => boolean>> = {
  s: (t) =>
    !t.name.startsWith("optional") && !t.name.startsWith("kubernetes.") && !t.name.startsWith("celgate."),
  d: (t) => NUMBERS.includes(t.name),
  // %f and %e also take the strings "NaN", "Infinity" and "-Infinity"
  f: (t) => t.name === "double" || t.name === "string",
  e: (t) => t.name === "double" || t.name === "string",
  b: (t) => NUMBERS.includes(t.name) || t.name === "bool",
  x: (t) => [...NUMBERS, "string", "bytes"].includes(t.name),
  X: (t) => [...NUMBERS, "string", "bytes"].includes(t.name),
  o: (t) => NUMBERS.includes(t.name),
};

/**
 * cel-go's format validator, for a literal format string and a literal argument list: every
 * clause must parse, the list must have one argument per clause, and an argument whose type
 * is known must suit its clause.
 */
function checkFormat(receiver: Node, list: Node | undefined): Error | undefined {
  const template = stringLiteral(receiver);
  // a list with optional elements (`[?x]`) has no fixed length to compare with the clauses
  if (template === undefined || list?.op !== "list" || optionalPositions(list)) return undefined;
  let verbs: string[];
  try {
    verbs = formatClauseVerbs(template);
  } catch (e) {
    return error((e as Error).message, receiver);
  }
  const elements = list.args as Node[];
  if (elements.length !== verbs.length) {
    const n = verbs.length;
    return error(
      `format() uses ${n} argument${n === 1 ? "" : "s"} but is given ${elements.length}`,
      elements.length > n ? (elements[n] ?? list) : list,
    );
  }
  for (const [i, verb] of verbs.entries()) {
    const element = elements[i];
    const type = element?.checkedType;
    if (!element || !type || type.hasDynType || type.hasPlaceholderType) continue;
    if (!FORMAT_ARGUMENTS[verb]?.(type)) {
      return error(`format() clause %${verb} cannot format an argument of type '${type.name}'`, element);
    }
  }
  return undefined;
}

/** The first element whose static type differs from the first typed one; dyn and type parameters match anything. */
function checkHomogeneous(
  elements: readonly Node[],
  what: string,
  optional?: ReadonlySet<number>,
): Error | undefined {
  let expected: CelType | undefined;
  for (const [i, element] of elements.entries()) {
    // an optional element or entry (`?x`) contributes the type inside its optional, as in cel-go
    const type = optional?.has(i) ? element.checkedType?.valueType : element.checkedType;
    if (!type || type.hasDynType || type.hasPlaceholderType) continue;
    if (!expected) expected = type;
    else if (type.name !== expected.name) {
      return error(
        `${what}s must have one type (Kubernetes checks aggregate literals as homogeneous): expected type '${expected.name}' but found '${type.name}'; wrap one in dyn() to mix them`,
        element,
      );
    }
  }
  return undefined;
}

function checkCall(
  node: Node,
  { name, receiver, args }: { name: string; receiver?: Node; args: Node[] },
  evaluateLiteral: (expression: string) => unknown,
): Error | undefined {
  // regular expressions: x.matches(re), matches(x, re), x.find(re), x.findAll(re[, n])
  const regexArg =
    name === "matches"
      ? receiver
        ? args[0]
        : args[1]
      : name === "find" || name === "findAll"
        ? args[0]
        : undefined;
  const pattern = stringLiteral(regexArg);
  if (pattern !== undefined && regexArg) {
    try {
      compileRe2(pattern);
    } catch (e) {
      return error((e as Error).message, regexArg);
    }
  }

  if (!receiver && (name === "duration" || name === "timestamp") && args.length === 1) {
    const literal = stringLiteral(args[0]);
    if (literal !== undefined) {
      try {
        evaluateLiteral(`${name}(${JSON.stringify(literal)})`);
      } catch (e) {
        const summary = (e as { summary?: string }).summary ?? (e as Error).message;
        return error(`invalid ${name} literal: ${summary}`, args[0] as Node);
      }
    }
  }

  if (receiver && name === "format" && args.length === 1) {
    const problem = checkFormat(receiver, args[0]);
    if (problem) return problem;
  }

  const allowed = ELEMENT_TYPES[name];
  if (receiver && allowed && args.length === 0) {
    const type = receiver.checkedType;
    const element = type?.kind === "list" ? type.valueType : undefined;
    const known = element && !element.hasDynType && !element.hasPlaceholderType;
    if (known && !allowed.has(element.name)) {
      return error(
        `found no matching overload for '${type?.name}.${name}()': ${name}() is defined for lists of ${[...allowed].join(", ")}`,
        node,
      );
    }
  }
  return undefined;
}

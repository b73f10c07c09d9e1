/**
 * celgate's own functions: not part of Kubernetes' CEL environment. A policy may use them, but
 * it cannot run as a ValidatingAdmissionPolicy, so `celgate export vap` refuses a policy that
 * calls one (see `vapUnavailableCalls`), naming the function and where it is called. The same
 * holds for the Kubernetes functions that only MutatingAdmissionPolicy has.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { astNodes } from "../ast.js";
import type { FunctionDoc } from "../doc.js";
import type { CelAst } from "../hooks.js";
import { Quantity } from "../quantity/index.js";
import { checkInt64 } from "../shared.js";

/** A function a VAP cannot call: a method on `receiver`, or a global function when receiver is absent. */
export interface CelgateFunction {
  name: string;
  receiver?: string;
  /** How the reference and the export's refusal name it, e.g. `<Quantity>.mul()`. */
  display: string;
  /** Why a ValidatingAdmissionPolicy cannot call it. */
  why: string;
}

/** Every celgate function; no Kubernetes function has any of these names. */
export const CELGATE_FUNCTIONS: readonly CelgateFunction[] = [
  { name: "mul", receiver: "kubernetes.Quantity", display: "<Quantity>.mul()", why: "a celgate function" },
];

/** Every function a ValidatingAdmissionPolicy cannot call: celgate's, and MutatingAdmissionPolicy's. */
export const VAP_UNAVAILABLE: readonly CelgateFunction[] = [
  ...CELGATE_FUNCTIONS,
  {
    name: "escapeKey",
    receiver: "jsonpatch",
    display: "jsonpatch.escapeKey()",
    why: "MutatingAdmissionPolicy only",
  },
];

/** Registers celgate's own functions. */
export function registerCelgateLibrary(env: Environment): void {
  env.registerFunction(
    "kubernetes.Quantity.mul(int): kubernetes.Quantity",
    (a: Quantity, n: bigint) => new Quantity(a.nanos * checkInt64(n)),
  );
}

export const celgateFunctions: FunctionDoc[] = [
  {
    signature: "<Quantity>.mul(<int>) -> <Quantity>",
    description:
      "The quantity multiplied by an int. Not a Kubernetes function: a policy that calls it cannot be exported as a ValidatingAdmissionPolicy.",
    example: "quantity('50k').mul(2) == quantity('100000')",
    result: "true",
  },
];

interface Located extends CelAst {
  start?: number;
  input?: string;
}

/**
 * The calls of functions a ValidatingAdmissionPolicy cannot call (VAP_UNAVAILABLE) in a parsed
 * expression, each with the offset of the function's name in the expression, in source order.
 * A method is matched by name alone: whatever its receiver, a VAP has no method of that name.
 */
export function vapUnavailableCalls(root: CelAst): { fn: CelgateFunction; offset: number }[] {
  const found: { fn: CelgateFunction; offset: number }[] = [];
  for (const node of astNodes<Located>(root)) {
    if (node.op !== "rcall" && node.op !== "call") continue;
    const name = (node.args as unknown[])[0];
    const fn = CELGATE_FUNCTIONS.find(
      (f) => f.name === name && (f.receiver !== undefined) === (node.op === "rcall"),
    );
    if (!fn) continue;
    const start = node.start ?? 0;
    const at = typeof node.input === "string" ? node.input.indexOf(fn.name, start) : -1;
    found.push({ fn, offset: at >= 0 ? at : start });
  }
  return found.sort((a, b) => a.offset - b.offset);
}

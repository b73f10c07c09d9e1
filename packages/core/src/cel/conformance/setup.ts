/** The environment and activation of a conformance test (conformance.test.ts and the compiler's differential test). */
import type { Environment } from "@marcbachmann/cel-js";
import { celEnvironment } from "../environment.js";
import { createCelgateEnvironment } from "../lib/celgate-environment.js";
import { type ConformanceTest, Unsupported } from "./load.js";

/**
 * The environment a test runs in: celgate's shared one when the test declares nothing, else a
 * new celgate environment (same options, libraries, hooks and static checks) with the test's
 * declarations instead of celgate's variables (the shared one cannot take more variables, and
 * its names would clash).
 */
export function environmentFor(test: ConformanceTest): Environment {
  if (test.variables.size === 0 && test.bindings.size === 0 && test.functions.length === 0) {
    return celEnvironment();
  }
  const declared: Record<string, string> = {};
  for (const [name, type] of test.variables) {
    if (type instanceof Unsupported) throw new Error(`cannot declare ${name}: ${type.reason}`);
    declared[name] = type;
  }
  for (const name of test.bindings.keys()) declared[name] ??= "dyn";
  const env = createCelgateEnvironment({ ...celEnvironment().opts }, declared);
  for (const signature of test.functions) {
    if (signature instanceof Unsupported) throw new Error(`cannot declare a function: ${signature.reason}`);
    // Only type-checking tests declare functions, so the implementation is never called.
    env.registerFunction(signature, () => {
      throw new Error(`${signature} has no implementation`);
    });
  }
  return env;
}

/** The test's bindings as an activation. */
export function activation(test: ConformanceTest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of test.bindings) {
    if (value instanceof Unsupported) throw new Error(`cannot bind ${name}: ${value.reason}`);
    out[name] = value;
  }
  return out;
}

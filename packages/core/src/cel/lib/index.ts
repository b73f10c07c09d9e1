/**
 * The CEL function libraries, one folder each: Kubernetes' (as Kubernetes 1.34 enables them)
 * and celgate's own (celgate/, which a ValidatingAdmissionPolicy cannot use).
 * `registerKubernetesLibraries` adds them all to a cel-js Environment; the docs below generate
 * docs/cel-functions.md.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { celgateFunctions, registerCelgateLibrary } from "./celgate/index.js";
import { comprehensionsFunctions, registerComprehensionsLibrary } from "./comprehensions/index.js";
import type { FunctionDoc, LibraryDoc } from "./doc.js";
import { formatFunctions, registerFormatLibrary } from "./format/index.js";
import { ipFunctions, registerIpLibrary } from "./ip/index.js";
import { jsonPatchFunctions, registerJsonPatchLibrary } from "./jsonpatch/index.js";
import { listsFunctions, registerListsLibrary } from "./lists/index.js";
import { numbersFunctions, registerNumbersLibrary } from "./numbers/index.js";
import { optionalsFunctions, registerOptionalsLibrary } from "./optionals/index.js";
import { quantityFunctions, registerQuantityLibrary } from "./quantity/index.js";
import { regexFunctions, registerRegexLibrary } from "./regex/index.js";
import { registerSemverLibrary, semverFunctions } from "./semver/index.js";
import { registerSetsLibrary, setsFunctions } from "./sets/index.js";
import { registerStringsLibrary, stringsFunctions } from "./strings/index.js";
import { registerTimeLibrary, timeFunctions } from "./time/index.js";
import { registerUrlLibrary, urlFunctions } from "./url/index.js";

export {
  CELGATE_FUNCTIONS,
  type CelgateFunction,
  VAP_UNAVAILABLE,
  vapUnavailableCalls,
} from "./celgate/index.js";
export type { FunctionDoc, LibraryDoc } from "./doc.js";
export { compareQuantities, parseQuantity, Quantity } from "./quantity/index.js";
export { compileRe2, re2Find, re2Matches } from "./regex/index.js";
export { AUTHORIZER_MESSAGE } from "./static-checks.js";

/** Registers every library. Call once per Environment: registering twice throws. */
export function registerKubernetesLibraries(env: Environment): void {
  registerStringsLibrary(env);
  registerRegexLibrary(env);
  registerListsLibrary(env);
  registerSetsLibrary(env);
  registerQuantityLibrary(env);
  registerUrlLibrary(env);
  registerIpLibrary(env);
  registerSemverLibrary(env);
  registerFormatLibrary(env);
  registerTimeLibrary(env);
  registerComprehensionsLibrary(env);
  registerOptionalsLibrary(env);
  registerNumbersLibrary(env);
  registerJsonPatchLibrary(env);
  registerCelgateLibrary(env);
}

/** The libraries in the order the reference shows them. */
export const functionLibraries: readonly LibraryDoc[] = [
  {
    name: "Strings",
    summary:
      "cel-go's strings extension at version 2, as Kubernetes enables it. Indexes and lengths count Unicode code points, as Go does (an emoji is one character). `reverse()` belongs to version 3, which Kubernetes does not enable, so it is not available.",
    functions: stringsFunctions,
  },
  {
    name: "Two-variable comprehensions",
    summary:
      "cel-go's two-variable comprehension macros, which Kubernetes enables from 1.32: over a list the variables are the index and the element, over a map the key and the value.",
    functions: comprehensionsFunctions,
  },
  {
    name: "Numbers",
    summary:
      "Equality across int, uint and double, which the CEL specification defines and the engine lacks.",
    functions: numbersFunctions,
  },
  {
    name: "Optional values",
    summary:
      "The parts of cel-go's optional types library the engine lacks (it provides `optional.of`, `optional.none`, `.?`, `[?]`, `hasValue`, `value`, `orValue`, `or`). Optional list elements and map entries are syntax, not functions: `[a, ?b]` holds b's value only if the optional b has one, `{?'k': v}` holds k only if the optional v has a value.",
    functions: optionalsFunctions,
  },
  {
    name: "Regular expressions",
    summary: "RE2 syntax (https://github.com/google/re2/wiki/Syntax), matched in linear time.",
    functions: regexFunctions,
  },
  {
    name: "Lists",
    summary:
      "Kubernetes' list functions, cel-go's lists extension at version 3 (marked; Kubernetes enables it from 1.34) and `first()`/`last()` from cel-go's optional library. `sum()`, `min()`, `max()`, `isSorted()` and `sort()` on a list whose element type is known and unsupported are compile errors, as in Kubernetes.",
    functions: listsFunctions,
  },
  {
    name: "Sets",
    summary:
      "Lists used as sets. Elements are compared with CEL equality, so 1, 1u and 1.0 are the same element.",
    functions: setsFunctions,
  },
  {
    name: "Quantities",
    summary: "Kubernetes resource quantities such as `500m`, `1.5Gi` or `2e3`, compared exactly.",
    functions: quantityFunctions,
  },
  {
    name: "URLs",
    summary: "URLs as Kubernetes (and Go's net/url) read them.",
    functions: urlFunctions,
  },
  {
    name: "IP addresses and CIDR ranges",
    summary: "IPv4 and IPv6 addresses and ranges, with the strict parsing of Go's net/netip.",
    functions: ipFunctions,
  },
  {
    name: "Semantic versions",
    summary: "Versions as defined by semver.org.",
    functions: semverFunctions,
  },
  {
    name: "Named formats",
    summary: "Kubernetes' validations of names, label values and OpenAPI string formats.",
    functions: formatFunctions,
  },
  {
    name: "Timestamps and durations",
    summary:
      "Conversions the CEL standard library defines (so Kubernetes has them) and the engine lacks, for messages that name dates and ages.",
    functions: timeFunctions,
  },
  {
    name: "JSON Patch",
    summary:
      "Kubernetes' JSON Patch library. Kubernetes provides it to MutatingAdmissionPolicy only, so `celgate export vap` refuses a policy that calls it.",
    functions: jsonPatchFunctions,
  },
  {
    name: "celgate functions (not in Kubernetes)",
    summary:
      "celgate's own functions. A policy may call them, but `celgate export vap` refuses it, naming the function and where it is called, because a ValidatingAdmissionPolicy would fail to compile.",
    functions: celgateFunctions,
  },
];

/** Every documented function, library by library. */
export const allFunctionDocs: readonly FunctionDoc[] = functionLibraries.flatMap(
  (library) => library.functions,
);

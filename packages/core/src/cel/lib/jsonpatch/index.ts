/**
 * Kubernetes' JSON Patch library (k8s.io/apiserver/pkg/cel/library/jsonpatch.go). Kubernetes
 * adds it to the environment of MutatingAdmissionPolicy only, not to the base environment a
 * ValidatingAdmissionPolicy compiles in, so `celgate export vap` refuses a policy that calls it
 * (see ../celgate/index.ts).
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { registerNamespace } from "../shared.js";

/** RFC 6901: a JSON Pointer reference token, with `~` as `~0` and `/` as `~1`. */
export function escapeKey(key: string): string {
  return key.replace(/[~/]/g, (c) => (c === "~" ? "~0" : "~1"));
}

export function registerJsonPatchLibrary(env: Environment): void {
  const ns = registerNamespace(env, "jsonpatch");
  env.registerFunction(`${ns}.escapeKey(string): string`, (_: unknown, key: string) => escapeKey(key));
}

export const jsonPatchFunctions: FunctionDoc[] = [
  {
    signature: "jsonpatch.escapeKey(<string>) -> <string>",
    description:
      "The key escaped for use in a JSON Pointer path (RFC 6901: `~` becomes `~0`, `/` becomes `~1`). Kubernetes provides it to MutatingAdmissionPolicy only: a policy that calls it cannot be exported as a ValidatingAdmissionPolicy.",
    example: "'/metadata/labels/' + jsonpatch.escapeKey('example.com/team~x')",
    result: "'/metadata/labels/example.com~1team~0x'",
  },
];

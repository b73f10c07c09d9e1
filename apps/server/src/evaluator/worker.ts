/**
 * A worker thread that evaluates: it compiles each policy set it is sent once (by digest) and
 * runs `evaluate` for the service, so a long evaluation never blocks the service's event loop.
 * The digest is the set's identity (core's `policySetDigest`): the worker checks that the
 * documents it compiles give that digest before caching them under it.
 */
import { parentPort } from "node:worker_threads";
import { type CompiledPolicySet, compilePolicySet, evaluate } from "@celgate/core";
import { finishReport } from "./finish.js";
import type { EvaluateRequest, EvaluateResponse } from "./protocol.js";

const sets = new Map<string, CompiledPolicySet>();
const MAX_SETS = 8;

function handle(request: EvaluateRequest): EvaluateResponse {
  let set = sets.get(request.digest);
  if (!set) {
    if (!request.documents)
      return { id: request.id, ok: false, error: "unknown policy set", unknownDigest: true };
    set = compilePolicySet(request.documents).set;
    // A digest names exactly what a set holds: documents that compile to another set (a policy
    // left out, another engine) must not be cached under it, or later requests get the wrong set.
    if (set.digest !== request.digest)
      return {
        id: request.id,
        ok: false,
        error: `the documents sent compile to policy set ${set.digest}, not ${request.digest}`,
      };
    if (sets.size >= MAX_SETS) sets.delete(sets.keys().next().value as string);
    sets.set(request.digest, set);
  }
  const report = evaluate(set, request.input);
  // finished here, the report crosses to the event loop as one string, not as its objects
  if (request.finish)
    return { id: request.id, ok: true, finished: finishReport(report, request.finish.versionsJson) };
  return { id: request.id, ok: true, report };
}

parentPort?.on("message", (request: EvaluateRequest) => {
  let response: EvaluateResponse;
  try {
    response = handle(request);
  } catch (error) {
    response = { id: request.id, ok: false, error: (error as Error)?.message ?? String(error) };
  }
  parentPort?.postMessage(response);
});

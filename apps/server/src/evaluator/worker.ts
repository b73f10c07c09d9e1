/**
 * A worker thread that evaluates: it compiles each policy set it is sent once (by digest) and
 * runs `evaluate` for the service, so a long evaluation never blocks the service's event loop.
 */
import { parentPort } from "node:worker_threads";
import { type CompiledPolicySet, compilePolicySet, evaluate } from "@celgate/core";
import type { EvaluateRequest, EvaluateResponse } from "./protocol.js";

const sets = new Map<string, CompiledPolicySet>();
const MAX_SETS = 8;

function handle(request: EvaluateRequest): EvaluateResponse {
  let set = sets.get(request.digest);
  if (!set) {
    if (!request.documents)
      return { id: request.id, ok: false, error: "unknown policy set", unknownDigest: true };
    set = compilePolicySet(request.documents).set;
    if (sets.size >= MAX_SETS) sets.delete(sets.keys().next().value as string);
    sets.set(request.digest, set);
  }
  // the service's digest names the set (it may be a subset, such as the admission set)
  const report = evaluate({ ...set, digest: request.digest }, request.input);
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

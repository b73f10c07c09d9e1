import type { EvaluateInput, EvaluationReport, PolicyDocument } from "@celgate/core";

/** What the service asks a worker: evaluate `input` with the policy set `digest`. */
export interface EvaluateRequest {
  id: number;
  /**
   * The set's identity (core's `policySetDigest`: engine version and every policy's content).
   * A subset, such as the admission set, has its own digest; the worker caches by it.
   */
  digest: string;
  /** The set's documents (exactly its policies), sent the first time a worker sees the digest. */
  documents?: PolicyDocument[];
  /** EvaluateInput without functions: everything here survives structured cloning. */
  input: EvaluateInput;
}

export type EvaluateResponse =
  | { id: number; ok: true; report: EvaluationReport }
  | { id: number; ok: false; error: string; unknownDigest?: boolean };

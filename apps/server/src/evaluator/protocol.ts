import type { EvaluateInput, EvaluationReport, PolicyDocument } from "@celgate/core";
import type { FinishedReport } from "./finish.js";

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
  /** When set, the answer is the report finished here (finish.ts) with these policy versions. */
  finish?: { versionsJson: string };
}

export type EvaluateResponse =
  | { id: number; ok: true; report: EvaluationReport }
  | { id: number; ok: true; finished: FinishedReport }
  | { id: number; ok: false; error: string; unknownDigest?: boolean };

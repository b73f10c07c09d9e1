import { type CompiledPolicySet, type EvaluateInput, type EvaluationReport, evaluate } from "@celgate/core";
import { EvaluatorPool } from "./pool.js";

/** Runs evaluations for the service: on worker threads, or in process. */
export interface Evaluator {
  evaluate(set: CompiledPolicySet, input: EvaluateInput): Promise<EvaluationReport>;
  close(): Promise<void>;
}

/**
 * `threads` 0 evaluates in process (tests, tiny deployments); more runs a pool of worker
 * threads so that a long evaluation never holds the event loop. `timeoutMs` bounds every
 * evaluation as a whole (pairs past it are `error` outcomes).
 */
export function createEvaluator(options: {
  threads: number;
  timeoutMs: number;
  memoryMb?: number;
}): Evaluator {
  const bounded = (input: EvaluateInput): EvaluateInput =>
    input.timeoutMs === undefined ? { ...input, timeoutMs: options.timeoutMs } : input;
  if (options.threads <= 0) {
    return {
      evaluate: async (set, input) => evaluate(set, bounded(input)),
      close: async () => {},
    };
  }
  const pool = new EvaluatorPool({
    size: options.threads,
    hardTimeoutMs: options.timeoutMs * 4 + 30_000,
    ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}),
  });
  return {
    evaluate: (set, input) => pool.evaluate(set, bounded(input)),
    close: () => pool.close(),
  };
}

export {
  EvaluationHandOffError,
  EvaluationTooLargeError,
  EvaluatorPool,
  EvaluatorUnavailableError,
} from "./pool.js";

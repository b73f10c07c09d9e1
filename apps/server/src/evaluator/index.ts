import { type CompiledPolicySet, type EvaluateInput, type EvaluationReport, evaluate } from "@celgate/core";
import { type FinishedReport, finishReport } from "./finish.js";
import { EvaluatorPool } from "./pool.js";

/** Runs evaluations for the service: on worker threads, or in process. */
export interface Evaluator {
  evaluate(set: CompiledPolicySet, input: EvaluateInput): Promise<EvaluationReport>;
  /**
   * Evaluates and finishes the report where it ran (finish.ts): its JSON text, with policy
   * versions from `versionsJson`, and the facts the service reads of it.
   */
  evaluateFinished(
    set: CompiledPolicySet,
    input: EvaluateInput,
    versionsJson: string,
  ): Promise<FinishedReport>;
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
      evaluateFinished: async (set, input, versionsJson) =>
        finishReport(evaluate(set, bounded(input)), versionsJson),
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
    evaluateFinished: (set, input, versionsJson) => pool.evaluateFinished(set, bounded(input), versionsJson),
    close: () => pool.close(),
  };
}

export {
  EvaluationHandOffError,
  EvaluationTooLargeError,
  EvaluatorPool,
  EvaluatorUnavailableError,
} from "./pool.js";

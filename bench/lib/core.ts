/**
 * The engine under test, loaded from its TypeScript sources: the bench runs with
 * `node --conditions=source --import tsx`, so it measures the code in the tree, with no build
 * step and no stale dist/. Only the public API of @celgate/core is used.
 */

export type {
  CompiledPolicy,
  CompiledPolicySet,
  Diagnostic,
  EvaluationReport,
  ImageFacts,
  Located,
  PolicyDocument,
  Resource,
  Result,
  Selector,
} from "../../packages/core/src/index.js";
export {
  compilePolicySet,
  containersOf,
  evaluate,
  isReferenceError,
  parseImageFacts,
  parseImageReference,
  parseLabelSelector,
  parseManifests,
  parsePolicyDocuments,
  podSpecOf,
  WORKLOAD_KINDS,
} from "../../packages/core/src/index.js";

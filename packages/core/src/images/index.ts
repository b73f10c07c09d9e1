export {
  countVulnerabilities,
  emptyFacts,
  type ImageFactsInput,
  normaliseFacts,
  normaliseSeverity,
  normaliseTimestamp,
  type ScanInput,
  SEVERITIES,
  type VulnerabilityInput,
} from "./facts.js";
export { LIMITS as IMAGE_FACTS_LIMITS } from "./import/common.js";
export { IMAGE_FACTS_API_VERSION, IMAGE_FACTS_KIND } from "./import/native.js";
export { mergeImageFacts } from "./merge.js";
export {
  type CheckImageFactsOrderOptions,
  checkImageFactsOrder,
  type ImageFactsField,
  type ImageFactsOrderProblem,
  MAX_FACTS_PER_IMAGE,
} from "./order.js";
export { detectFormat, type ImageFactsFormat, type ParsedImageFacts, parseImageFacts } from "./parse.js";
export {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  formatReference,
  imageKey,
  isReferenceError,
  normalisedName,
  parseImageReference,
  tagKey,
} from "./reference.js";
export { ImageFactsIndex } from "./store.js";
export type {
  ImageFacts,
  ImageReference,
  ScanFacts,
  SeverityCounts,
  SignatureFacts,
  Vulnerability,
  VulnerabilitySeverity,
} from "./types.js";
export { withoutVulnerabilities } from "./waive.js";

/**
 * The engine's input size limits, here where nothing else is imported, so that a caller that
 * checks a text's size before handing it to the engine (the web console's source editors) loads
 * neither the engine nor its YAML parser: subpath `@celgate/core/limits`. The engine enforces
 * these very constants.
 */

/** Manifest inputs larger than this are refused rather than parsed (see docs/budget.md). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

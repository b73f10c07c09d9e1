/**
 * The engine's input size limits, for a caller that checks a text's size before handing it to
 * the engine without loading the engine (the web console's source editors): subpath
 * `@celgate/core/limits`. Each constant is the one the engine enforces, re-exported from where it
 * is defined.
 */
export { MAX_MANIFEST_BYTES } from "../resources/parse.js";

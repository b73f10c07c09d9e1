/**
 * The engine's version, part of every compiled policy set's identity: the same documents
 * compiled by another engine may evaluate differently, so they are another set. Kept equal to
 * `version` in packages/core/package.json (a test checks it).
 */
export const ENGINE_VERSION = "0.1.0";

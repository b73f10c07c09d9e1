/**
 * One entry of the CEL function reference. Every library exports a list of these next to its
 * implementation; docs/cel-functions.md is rendered from them (render-docs.ts).
 */
export interface FunctionDoc {
  /** The call shape, e.g. `<Quantity>.add(<Quantity>) -> <Quantity>`. */
  signature: string;
  /** One or two sentences: what it returns and when it is an error. */
  description: string;
  /** A CEL expression that uses the function. */
  example: string;
  /** What `example` evaluates to, written as CEL (or `error: ...`). Pinned by the library's tests. */
  result: string;
}

/** A function library as shown in the reference: a heading, a summary and its functions. */
export interface LibraryDoc {
  name: string;
  summary: string;
  functions: readonly FunctionDoc[];
}

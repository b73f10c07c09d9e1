/**
 * Every diagnostic code, a closed set: each code says what kind of problem a diagnostic
 * reports, and an edge that maps problems to something else (the service's HTTP status, say)
 * maps every code, so adding one here forces that decision at compile time.
 * @celgate/contracts declares the same list for the wire; a type test proves the two equal.
 */
export const DIAGNOSTIC_CODES = [
  // reading text
  /** The YAML (or JSON) text does not parse; line and column name the spot. */
  "yaml-syntax",
  /** The input breaks an input limit (depth, aliases, size, string length, documents). */
  "input-limit",
  /** The input holds a NUL character, which no database column can store. */
  "input-nul",
  /** The input holds a lone UTF-16 surrogate (not valid Unicode). */
  "input-unicode",
  /** A manifest file is over the byte limit. */
  "input-too-large",
  /** A manifest file is binary, not YAML or JSON text. */
  "binary-input",
  /** A document that should be a mapping (an object) is something else. */
  "not-an-object",
  /** A file holds no celgate documents (a warning of the CLI's loader). */
  "empty",
  // the meaning of documents
  /** A document does not match its schema (a missing, unknown or wrongly typed field). */
  "schema",
  /** A celgate document (Policy, PolicyException, PolicyTest) among Kubernetes manifests. */
  "celgate-document",
  /** A Policy where only exceptions were expected (the CLI's `--exceptions` files). */
  "unexpected-policy",
  /** A Policy or PolicyException in a test file (`*.test.yaml`), which evaluating never reads. */
  "document-in-test-file",
  /** Two policies of one set have the same name. */
  "duplicate-policy",
  /** A policy declares a variable twice. */
  "duplicate-variable",
  // CEL expressions
  /** An expression does not parse. */
  "cel-syntax",
  /** An expression does not type-check, or has the wrong result type. */
  "cel-type",
  /** An expression holds a bidirectional control or an invisible character ("Trojan source"). */
  "cel-hidden-character",
  /** An expression reads `variables.x` that is not declared before it. */
  "cel-unknown-variable",
  /** An expression's estimated worst-case cost is over Kubernetes' per-expression limit (a warning). */
  "cel-cost",
  /** An expression failed while it ran (an `error` outcome, not a problem of the document). */
  "cel-runtime",
  /** A resource cannot be evaluated at all (its shape defeats the engine's value adapter). */
  "resource",
  // selecting policies
  /** A policy named in a selection does not exist. */
  "unknown-policy",
  /** A label selector matches no policy. */
  "selector-matches-nothing",
  // image facts
  /** Image facts in none of the known formats (native, Trivy, Grype, cosign). */
  "image-facts-format",
  /** A Trivy or Grype report of something other than a container image (a repository, a file system). */
  "not-image-scan",
  /** A scanner report in a schema version celgate does not read. */
  "unsupported-version",
  /** An image reference that does not parse. */
  "image-reference",
  /** Image facts over one of the import limits; the rest is ignored. */
  "limit",
  /** Image facts could not be read because of a fault of the reader. */
  "internal",
  /** More problems than are kept; the count of those left out. */
  "too-many-problems",
] as const;

/** The code of a diagnostic: one of `DIAGNOSTIC_CODES`. */
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

import type { ProblemFieldError } from "@celgate/contracts";

/**
 * Every way a service verb refuses a request, each documented here. Services throw
 * `DomainError`s with one of these codes and never choose an HTTP status: lib/errors.ts maps
 * each code to one status and problem type (DOMAIN_PROBLEMS), and a code added here does not
 * compile until it is given one there.
 */
export const DOMAIN_ERROR_CODES = [
  /** A parameter the service cannot use: a label selector, a cursor, params for unknown policies. */
  "invalid-argument",
  /** `select` or `policies` that match no policy: an input error, never "evaluate nothing and allow". */
  "selection-empty",
  /** Input that holds no Kubernetes resource (empty, only comments, no apiVersion/kind): never "evaluate nothing and allow". */
  "no-resources",
  /** Input that cannot be read at all: YAML or JSON syntax, an input limit, the wrong number of documents. */
  "malformed-input",
  /** Input that reads but means something invalid: a schema or CEL error, facts of another image. */
  "invalid-input",
  /** The resource named does not exist. */
  "not-found",
  /** A resource with this name already exists. */
  "already-exists",
  /** The change conflicts with the state: a policy owned by the repository, the last admin token. */
  "conflict",
  /** A change of a versioned resource without If-Match. */
  "precondition-required",
  /** If-Match names an older version, or another writer changed the resource first. */
  "precondition-failed",
  /** An Idempotency-Key used again with a different request body. */
  "idempotency-mismatch",
  /** A replay is already running on this instance. */
  "replay-busy",
  /** A replay did not finish within its time limit. */
  "replay-timeout",
  /** No policy set may be evaluated: stored policies do not compile, none exist, or the state is lost. */
  "policy-set-unavailable",
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** A field-level detail of a refusal: where in the input, what, and the engine's diagnostic code. */
export type FieldError = ProblemFieldError;

/**
 * A request a service verb refuses, with a code from DOMAIN_ERROR_CODES, a message for the
 * caller (the problem's `detail`) and, where the input has positions, one entry per problem.
 */
export class DomainError extends Error {
  override name = "DomainError";
  readonly code: DomainErrorCode;
  readonly errors: FieldError[] | undefined;

  constructor(code: DomainErrorCode, message: string, errors?: FieldError[]) {
    super(message);
    this.code = code;
    this.errors = errors;
  }
}

/** A DomainError of `code`; reads as `throw refuse("not-found", "no policy named x")`. */
export function refuse(code: DomainErrorCode, message: string, errors?: FieldError[]): DomainError {
  return new DomainError(code, message, errors);
}

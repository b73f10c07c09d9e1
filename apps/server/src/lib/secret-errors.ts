import { DatabaseBrokenError } from "../db/errors.js";
import { errorCode, isUnavailable } from "./errors.js";

/**
 * The error of a statement that wrote a secret (a webhook secret, a signing key, the redaction
 * key), with the secret taken out. Drizzle puts a failed statement's parameters in its error's
 * message and on the error, and PostgreSQL's own error may quote the row (`Failing row contains
 * (...)`) or the value: all of it would reach the logs. What is kept is what the error mapping
 * reads: the statement text (placeholders only), the SQLSTATE or errno code, and the message of
 * an unreachable or broken database (which quotes no value). Never throws.
 */
export function withoutSecrets(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return scrubbed(err, "the statement writes a secret", "a statement that writes a secret failed");
}

/**
 * An error fit to be stored or logged where any value may be secret: a failed statement (or an
 * error that wraps one) loses its parameters and the database's words about its values, as in
 * withoutSecrets; any other error is returned as it is. Never throws.
 */
export function withoutParameters(err: unknown): unknown {
  if (!(err instanceof Error) || SCRUBBED.has(err) || !isStatementError(err)) return err;
  return scrubbed(err, "they may hold secrets", "a statement failed; its parameters are withheld");
}

/**
 * The text of an error to store where it can be read back (a change's `error`): the message of
 * withoutParameters(err) and those of its causes, joined with ` | `. Never throws.
 */
export function safeErrorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = withoutParameters(err);
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(" | ");
}

/** A five-character SQLSTATE (errno names such as EPIPE are not: no SQLSTATE class starts with E). */
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/;

/** Whether `err` or an error on its cause chain is a failed statement: drizzle's (query, params) or the driver's (a SQLSTATE). */
function isStatementError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if ("params" in e || typeof (e as { query?: unknown }).query === "string") return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && SQLSTATE.test(code)) return true;
    e = e.cause;
  }
  return false;
}

/** The errors made here: already without their secrets (withoutParameters returns them as they are). */
const SCRUBBED = new WeakSet<Error>();

function scrubbed(err: Error, why: string, otherwise: string): Error {
  if (SCRUBBED.has(err)) return err;
  const query = (err as { query?: unknown }).query;
  const head = typeof query === "string" ? `Failed query: ${query}\nparams: (withheld: ${why})` : otherwise;
  const safe = new Error(head, { cause: safeCause("params" in err ? err.cause : err) });
  SCRUBBED.add(safe);
  return safe;
}

function safeCause(cause: unknown): unknown {
  if (cause instanceof DatabaseBrokenError || cause instanceof WebAssembly.RuntimeError) return cause;
  if (!(cause instanceof Error)) return undefined;
  const code = errorCode(cause);
  // a connection's failure says nothing about the row; its words are what isUnavailable reads
  const message = isUnavailable(cause)
    ? cause.message
    : `the database refused the statement${code ? ` (${code})` : ""}; its detail is withheld`;
  const safe = new Error(message) as Error & { code?: string };
  if (code !== undefined) safe.code = code;
  return safe;
}

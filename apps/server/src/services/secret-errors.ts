import { DatabaseBrokenError } from "../db/errors.js";
import { errorCode, isUnavailable } from "../lib/errors.js";

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
  const query = (err as { query?: unknown }).query;
  const head =
    typeof query === "string"
      ? `Failed query: ${query}\nparams: (withheld: the statement writes a secret)`
      : "a statement that writes a secret failed";
  return new Error(head, { cause: safeCause("params" in err ? err.cause : err) });
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

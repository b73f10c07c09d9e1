/**
 * Thrown for every query on an embedded database whose engine failed, whose worker stopped or
 * which is closed: its state can no longer be trusted (or reached), so nothing is read from it
 * or written to it until it has been reopened.
 */
export class DatabaseBrokenError extends Error {
  override name = "DatabaseBrokenError";
  /** Read by the error mapper: the database is unavailable (503), not the request at fault. */
  readonly code: string = "CELGATE_DATABASE_BROKEN";
}

/**
 * Thrown for a query on the embedded database that was not answered within its time limit
 * (it waited behind others, or the engine is stuck): the database is unavailable (503).
 */
export class DatabaseTimeoutError extends DatabaseBrokenError {
  override name = "DatabaseTimeoutError";
  override readonly code = "CELGATE_DATABASE_TIMEOUT";
}

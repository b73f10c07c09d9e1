import { pino } from "pino";
import { withoutParameters } from "./secret-errors.js";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout. `silent` for tests. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "celgate" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Tokens must never reach the logs, whatever a caller puts where.
      redact: {
        paths: ["token", "*.token", "authorization", "*.authorization", "headers.authorization"],
        remove: true,
      },
      // A failed statement's parameters (and the database's words quoting the row) may hold
      // anything a caller sent: every logged error loses them, whichever path logs it.
      serializers: { err: (err: unknown) => pino.stdSerializers.err(withoutParameters(err) as Error) },
    },
    destination,
  );
}

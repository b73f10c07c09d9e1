import { pino } from "pino";

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
    },
    destination,
  );
}

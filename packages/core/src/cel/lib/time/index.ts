/**
 * Conversions of timestamps and durations that the CEL standard library defines (so Kubernetes
 * has them) and cel-js lacks: `string(timestamp)` (RFC 3339, UTC), `int(timestamp)` (Unix
 * seconds) and `string(duration)` (seconds with an `s` suffix); and `duration('0')`, which Go's
 * time.ParseDuration accepts and cel-js's built-in refuses.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { Duration } from "@marcbachmann/cel-js/evaluator";
import type { FunctionDoc } from "../doc.js";
import { type BuiltinOverride, celError, FALLBACK } from "../shared.js";
import { formatDuration, formatTimestamp } from "../strings/go-format.js";

const TIMESTAMP = "google.protobuf.Timestamp";
const DURATION = "google.protobuf.Duration";

export function registerTimeLibrary(env: Environment): void {
  env.registerFunction(`string(${TIMESTAMP}): string`, (t: Date) => {
    if (Number.isNaN(t.getTime())) throw celError("invalid timestamp");
    return formatTimestamp(t);
  });
  env.registerFunction(`int(${TIMESTAMP}): int`, (t: Date) => BigInt(Math.floor(t.getTime() / 1000)));
  env.registerFunction(`string(${DURATION}): string`, (d: Duration) => formatDuration(d));
  // the standard library's identity conversions
  env.registerFunction(`timestamp(${TIMESTAMP}): ${TIMESTAMP}`, (t: Date) => t);
  env.registerFunction(`duration(${DURATION}): ${DURATION}`, (d: Duration) => d);
}

/** Go's time.ParseDuration takes a bare zero, signed or not, without a unit. */
export const timeOverrides: readonly BuiltinOverride[] = [
  {
    method: false,
    name: "duration",
    apply: ([text]) => (text === "0" || text === "+0" || text === "-0" ? new Duration(0n, 0) : FALLBACK),
  },
];

export const timeFunctions: FunctionDoc[] = [
  {
    signature: "string(<timestamp>) -> <string>",
    description: "The timestamp in RFC 3339 form, in UTC.",
    example: "string(timestamp('2026-11-20T10:00:00Z'))",
    result: "'2026-11-20T10:00:00Z'",
  },
  {
    signature: "int(<timestamp>) -> <int>",
    description: "Seconds since the Unix epoch.",
    example: "int(timestamp('1970-01-02T00:00:00Z'))",
    result: "86400",
  },
  {
    signature: "string(<duration>) -> <string>",
    description: "The duration in seconds, with an `s` suffix, as cel-go prints it.",
    example: "string(duration('1h30m'))",
    result: "'5400s'",
  },
  {
    signature: "duration(<string>) -> <duration>",
    description:
      "Parses a Go duration such as `1h30m`, `90s` or `-1.5h` (units h, m, s, ms, us, ns); a bare `0` needs no unit.",
    example: "duration('0') == duration('0s')",
    result: "true",
  },
];

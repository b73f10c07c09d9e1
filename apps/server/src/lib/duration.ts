import { parseDuration } from "@celgate/contracts";
import type { z } from "zod";

/** The longest duration a query option takes (`?expiring=`, `?stale=`): 36,500 days, about 100 years. */
export const MAX_QUERY_DURATION_DAYS = 36_500;
const MAX_QUERY_DURATION_MS = MAX_QUERY_DURATION_DAYS * 86_400_000;

/**
 * A duration query option (`7d`, `1d12h`) bounded to MAX_QUERY_DURATION_DAYS: past that, now
 * plus or minus it is no date at all (`99999999999d` overflows), which would reach the
 * database as an invalid time (a 500) instead of a 400 naming the option.
 */
export function boundedDuration<S extends z.ZodType<string | undefined>>(schema: S): S {
  const short = (text: string | undefined) => {
    if (text === undefined) return true;
    try {
      return parseDuration(text) <= MAX_QUERY_DURATION_MS;
    } catch {
      // not a duration at all: zod runs this check after a failed format check too, which
      // has already said so
      return true;
    }
  };
  return schema.refine(short, {
    message: `at most ${MAX_QUERY_DURATION_DAYS}d (about 100 years)`,
  }) as unknown as S;
}

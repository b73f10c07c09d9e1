import type { ProblemFieldError } from "@celgate/contracts";
import type { z } from "zod";
import { type ProblemError, problems } from "./errors.js";

/** Where a request's input comes from, as @hono/zod-openapi names the parts it validates. */
export type InputTarget = "param" | "query" | "header" | "json";

type Position = { line: number; column: number };
export type Locate = (path: readonly PropertyKey[]) => Position | undefined;

/** The header whose absence is a 428 (RFC 6585), not a 400: a replace must say which version it replaces. */
const IF_MATCH = "if-match";
const IF_MATCH_REQUIRED = "send If-Match with the ETag of the version you are replacing";

const joinPath = (path: readonly PropertyKey[]) => path.map(String).join(".");

/**
 * The issues of a union that no option matched, as the one option the input had the type of
 * would give them (a list of documents with a bad key: that key, not "Invalid input" at the
 * list); the union's own issue when no option, or more than one, got past the type.
 */
function unionIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const typed = issue.errors.filter(
    (branch) => !branch.every((i) => i.code === "invalid_type" && i.path.length === 0),
  );
  const [only] = typed;
  if (typed.length !== 1 || !only || only.length === 0) return [issue];
  return only.flatMap((i) => unionIssues({ ...i, path: [...issue.path, ...i.path] }));
}

/**
 * A failed parse as problem `errors[]`: one entry per issue (one per key for unknown keys),
 * each with its path, and its line and column when the input has positions.
 */
export function fieldErrors(
  error: z.ZodError,
  options: { unknown?: string; locate?: Locate | undefined } = {},
): ProblemFieldError[] {
  const out: ProblemFieldError[] = [];
  for (const issue of error.issues.flatMap(unionIssues)) {
    const entries =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({
            path: [...issue.path, key],
            message: options.unknown ?? "unknown key",
          }))
        : [{ path: issue.path, message: issue.message }];
    for (const { path, message } of entries) {
      const at = options.locate?.(path);
      out.push({
        path: joinPath(path) || "(root)",
        message,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    }
  }
  return out;
}

const summary = (errors: readonly ProblemFieldError[]) =>
  errors
    .map(
      (e) => `${e.path}: ${e.message}${e.line === undefined ? "" : ` (line ${e.line}, column ${e.column})`}`,
    )
    .join("; ");

/**
 * The problem for input that its route's schema refuses: 400 `bad-request` for the path,
 * query and headers, 400 `invalid-body` for the body, each entry naming the field; a missing
 * If-Match is 428. `accepted` names the query options of the route, for unknown ones; `what`
 * names a body (default "request body").
 */
export function invalidInput(
  target: InputTarget,
  error: z.ZodError,
  options: { accepted?: readonly string[]; locate?: Locate; what?: string } = {},
): ProblemError {
  switch (target) {
    case "query": {
      const accepted = options.accepted ?? [];
      const errors = fieldErrors(error, {
        unknown: `unknown query option; ${accepted.length ? `this route accepts ${accepted.join(", ")}` : "this route takes none"}`,
      });
      return problems.badRequest(`invalid query: ${summary(errors)}`, errors);
    }
    case "param": {
      const errors = fieldErrors(error);
      return problems.badRequest(`invalid path: ${summary(errors)}`, errors);
    }
    case "header": {
      const missingIfMatch = error.issues.every(
        (i) =>
          i.path.length === 1 && i.path[0] === IF_MATCH && i.code === "invalid_type" && i.input === undefined,
      );
      if (missingIfMatch) return problems.preconditionRequired(IF_MATCH_REQUIRED);
      const errors = fieldErrors(error);
      return problems.badRequest(`invalid header: ${summary(errors)}`, errors);
    }
    case "json": {
      const errors = fieldErrors(error, { locate: options.locate });
      return problems.invalidBody(
        `the ${options.what ?? "request body"} is not valid: ${summary(errors)}`,
        errors,
      );
    }
  }
}

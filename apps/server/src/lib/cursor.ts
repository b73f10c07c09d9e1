import { z } from "zod";
import { refuse } from "../services/errors.js";

/** A row number or id in a cursor: a whole number a bigint column can hold. */
const position = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A name or id in a cursor: text a column can hold (no NUL). */
const key = z
  .string()
  .min(1)
  .max(253)
  .refine((s) => !s.includes("\u0000"), "contains NUL");

/** The cursor of each list: the sort key of the last item of the page before. */
export const CURSORS = {
  /** `GET /v1/evaluations`: newest first, by sequence number. */
  evaluations: z.object({ seq: position }).strict(),
  /** `GET /v1/audit`: newest first, by id. */
  audit: z.object({ id: position }).strict(),
  /** `GET /v1/tokens`: by id. */
  tokens: z.object({ id: key }).strict(),
  /** `GET /v1/policies` and `GET /v1/exceptions`: by name. */
  names: z.object({ name: key }).strict(),
  /** `GET /v1/policies/{name}/versions`: newest first, by version. */
  versions: z.object({ v: position }).strict(),
  /** `GET /v1/findings`: newest first, by sequence number. */
  findings: z.object({ seq: position }).strict(),
  /** `GET /v1/images`: by key (digest, or `registry/repository:tag`). */
  images: z
    .object({
      k: z
        .string()
        .min(1)
        .max(2048)
        .refine((s) => !s.includes("\u0000"), "contains NUL"),
    })
    .strict(),
  /** `GET /v1/inventory`: by cluster, namespace, kind and name. */
  inventory: z.object({ c: key, ns: z.string().max(253), k: key, n: key }).strict(),
} as const;

/** Encodes a position in a list as an opaque cursor. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/**
 * Decodes a cursor made by encodeCursor with the list's own schema (one of CURSORS); throws a
 * 400 problem if it is not base64url JSON of exactly that shape.
 */
export function decodeCursor<T extends z.ZodType>(cursor: string, schema: T): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw refuse("invalid-argument", "the cursor is not valid; use nextCursor of a previous page", [
    { path: "cursor", message: "invalid cursor" },
  ]);
}

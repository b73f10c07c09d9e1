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

/**
 * The cursor of each list: the sort key of the last item of the page before. Lists that sort by
 * the same kind of key still name it differently (`seq` and `finding`, `name` and
 * `exception`), so that a cursor of one list is refused by every other (a 400) rather than read
 * as a position in a list it was not made for (routes/cursors.test.ts walks them).
 */
export const CURSORS = {
  /** `GET /v1/evaluations`: newest first, by sequence number. */
  evaluations: z.object({ seq: position }).strict(),
  /** `GET /v1/audit`: newest first, by id. */
  audit: z.object({ id: position }).strict(),
  /** `GET /v1/tokens`: by id. */
  tokens: z.object({ id: key }).strict(),
  /** `GET /v1/webhooks`: by id. */
  webhooks: z.object({ webhook: key }).strict(),
  /** `GET /v1/policies`: by name. */
  names: z.object({ name: key }).strict(),
  /** `GET /v1/exceptions`: by name. */
  exceptions: z.object({ exception: key }).strict(),
  /** `GET /v1/policies/{name}/versions`: newest first, by version. */
  versions: z.object({ v: position }).strict(),
  /** `GET /v1/findings`: newest first, by sequence number. */
  findings: z.object({ finding: position }).strict(),
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

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The JSON inside a cursor, read only from the exact text encodeCursor makes: unpadded
 * base64url of UTF-8. Node's base64 decoder skips characters outside its alphabet and stops at
 * padding, so a cursor with anything appended, inserted or padded would otherwise decode to
 * the same position; undefined for any such text.
 */
function cursorJson(cursor: string): unknown {
  if (!BASE64URL.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, "base64url");
  // the last character may carry bits the bytes do not use: only the canonical text is one
  if (bytes.toString("base64url") !== cursor) return undefined;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Decodes a cursor made by encodeCursor with the list's own schema (one of CURSORS); throws a
 * 400 problem if it is not exactly the unpadded base64url JSON of that shape that encodeCursor
 * makes.
 */
export function decodeCursor<T extends z.ZodType>(cursor: string, schema: T): z.infer<T> {
  const value = cursorJson(cursor);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw refuse("invalid-argument", "the cursor is not valid; use nextCursor of a previous page", [
    { path: "cursor", message: "invalid cursor" },
  ]);
}

import { problems } from "./errors.js";

/** Encodes a position in a list as an opaque cursor. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/** Decodes a cursor made by encodeCursor; throws a 400 problem if it is not one. */
export function decodeCursor<K extends string>(
  cursor: string,
  keys: readonly K[],
): Record<K, string | number> {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (value && typeof value === "object" && keys.every((k) => k in value)) {
      const v = value as Record<K, unknown>;
      if (keys.every((k) => typeof v[k] === "string" || typeof v[k] === "number"))
        return v as Record<K, string | number>;
    }
  } catch {
    // fall through to the problem below
  }
  throw problems.badRequest("the cursor is not valid; use nextCursor of a previous page", [
    { path: "cursor", message: "invalid cursor" },
  ]);
}

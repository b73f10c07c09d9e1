import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  type CreatedToken,
  type CreateTokenRequest,
  ENV_ADMIN_TOKEN_ID,
  type Token,
} from "@celgate/contracts";
import { and, asc, count, eq, gt, isNull, or } from "drizzle-orm";
import { advisoryXactLock, type Db, LOCKS } from "../db/client.js";
import { tokens } from "../db/schema.js";
import type { Principal } from "../lib/context.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";

import { newId, sha256Hex } from "../lib/ids.js";
import { writeAudit } from "./audit.js";
import { refuse } from "./errors.js";

const ENV_ADMIN_ID = ENV_ADMIN_TOKEN_ID;
const ENV_ADMIN_NAME = "admin (CELGATE_ADMIN_TOKEN)";
const CACHE_MS = 1000;
const TOUCH_MS = 60_000;

/** A new random token secret: `cg_` and 32 random bytes, base64url. */
export function generateSecret(): string {
  return `cg_${randomBytes(32).toString("base64url")}`;
}

type Row = typeof tokens.$inferSelect;

function toWire(r: Row): Token {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    expiresAt: r.expiresAt?.toISOString() ?? null,
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

/**
 * API tokens: stored as sha256 hashes, looked up by hash and compared in constant time.
 * Lookups are cached for a second, so a revocation reaches every replica within a second.
 */
export class TokenService {
  readonly #cache = new Map<
    string,
    { principal: Principal | null; until: number; expiresAt: number | null }
  >();
  readonly #touched = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** The principal of a bearer secret, or null when it is unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal | null> {
    const hash = sha256Hex(secret);
    const now = Date.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now && (cached.expiresAt === null || cached.expiresAt > now))
      return cached.principal;
    const [row] = await this.db.select().from(tokens).where(eq(tokens.hash, hash)).limit(1);
    let principal: Principal | null = null;
    if (
      row &&
      timingSafeEqual(Buffer.from(row.hash, "hex"), Buffer.from(hash, "hex")) &&
      row.revokedAt === null &&
      (row.expiresAt === null || row.expiresAt.getTime() > now)
    ) {
      principal = { tokenId: row.id, name: row.name, role: row.role };
      this.#touch(row.id, now);
    }
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { principal, until: now + CACHE_MS, expiresAt: row?.expiresAt?.getTime() ?? null });
    return principal;
  }

  #touch(id: string, now: number): void {
    if ((this.#touched.get(id) ?? 0) + TOUCH_MS > now) return;
    this.#touched.set(id, now);
    // Best effort: a lost last-used stamp is not worth failing a request for.
    this.db
      .update(tokens)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(tokens.id, id))
      .catch(() => {});
  }

  async create(actor: string, req: CreateTokenRequest): Promise<CreatedToken> {
    const secret = generateSecret();
    const id = newId("tok");
    const row = await this.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(tokens)
        .values({
          id,
          name: req.name,
          role: req.role,
          hash: sha256Hex(secret),
          createdBy: actor,
          expiresAt: req.expiresAt ? new Date(req.expiresAt) : null,
        })
        .returning();
      await writeAudit(tx, {
        actor,
        action: "token.create",
        targetKind: "token",
        targetName: id,
        detail: { name: req.name, role: req.role },
      });
      return inserted!;
    });
    return { ...toWire(row), token: secret };
  }

  async list(limit: number, cursor?: string): Promise<{ items: Token[]; nextCursor: string | null }> {
    const after = cursor ? decodeCursor(cursor, CURSORS.tokens).id : undefined;
    const rows = await this.db
      .select()
      .from(tokens)
      .where(after ? gt(tokens.id, after) : undefined)
      .orderBy(asc(tokens.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toWire),
      nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
    };
  }

  /**
   * Revokes a token. Throws 404 if unknown, 409 if it is the last live admin token or the token
   * of CELGATE_ADMIN_TOKEN (which the next start with the variable set would make valid again).
   */
  async revoke(actor: string, id: string): Promise<Token> {
    const row = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(tokens).where(eq(tokens.id, id)).for("update");
      if (!current) throw refuse("not-found", `no token with id ${id}`);
      if (current.revokedAt) return current;
      if (current.role === "admin") {
        const [live] = await tx
          .select({ n: count() })
          .from(tokens)
          .where(and(eq(tokens.role, "admin"), isNull(tokens.revokedAt)));
        if ((live?.n ?? 0) <= 1)
          throw refuse("conflict", "this is the last live admin token; create another first");
      }
      // after the last-admin check: that refusal is the one to fix first
      if (current.id === ENV_ADMIN_ID)
        throw refuse(
          "conflict",
          `${ENV_ADMIN_ID} is the token of the CELGATE_ADMIN_TOKEN variable: revoking it here would not last, since every start with the variable set makes it valid again. Revoke it by removing or changing CELGATE_ADMIN_TOKEN on every instance and restarting them`,
        );
      const [updated] = await tx
        .update(tokens)
        .set({ revokedAt: new Date() })
        .where(eq(tokens.id, id))
        .returning();
      await writeAudit(tx, {
        actor,
        action: "token.revoke",
        targetKind: "token",
        targetName: id,
        detail: { name: current.name },
      });
      return updated!;
    });
    this.#cache.clear();
    return toWire(row);
  }

  /**
   * At start: makes CELGATE_ADMIN_TOKEN a live admin token when given (`tok_env_admin`, its
   * secret replaced when the variable changed). Without it, revokes a live `tok_env_admin` left
   * by an earlier start (`revokedEnvToken`: removing the variable is how it is revoked), then,
   * when the database holds no token at all or that revocation left no live admin token,
   * generates an admin token and returns its secret (to be printed once).
   */
  async seedAdmin(
    adminToken: string | undefined,
  ): Promise<{ generated?: string; revokedEnvToken?: boolean }> {
    return this.db.transaction(async (tx) => {
      await advisoryXactLock(tx, LOCKS.tokenSeed);
      const [existing] = await tx.select().from(tokens).where(eq(tokens.id, ENV_ADMIN_ID));
      if (adminToken) {
        const hash = sha256Hex(adminToken);
        if (existing?.hash === hash && existing.revokedAt === null) return {};
        await tx
          .insert(tokens)
          .values({ id: ENV_ADMIN_ID, name: ENV_ADMIN_NAME, role: "admin", hash, createdBy: "system" })
          .onConflictDoUpdate({ target: tokens.id, set: { hash, revokedAt: null, role: "admin" } });
        await writeAudit(tx, {
          actor: "system",
          action: existing ? "token.update" : "token.create",
          targetKind: "token",
          targetName: ENV_ADMIN_ID,
          detail: { name: ENV_ADMIN_NAME, role: "admin" },
        });
        this.#cache.clear();
        return {};
      }
      let revokedEnvToken = false;
      if (existing && existing.revokedAt === null) {
        await tx.update(tokens).set({ revokedAt: new Date() }).where(eq(tokens.id, ENV_ADMIN_ID));
        await writeAudit(tx, {
          actor: "system",
          action: "token.revoke",
          targetKind: "token",
          targetName: ENV_ADMIN_ID,
          detail: { name: existing.name, reason: "started without CELGATE_ADMIN_TOKEN" },
        });
        this.#cache.clear();
        revokedEnvToken = true;
      }
      const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(tokens);
      let needed = n === 0;
      if (revokedEnvToken) {
        const [live] = await tx
          .select({ n: count() })
          .from(tokens)
          .where(
            and(
              eq(tokens.role, "admin"),
              isNull(tokens.revokedAt),
              or(isNull(tokens.expiresAt), gt(tokens.expiresAt, new Date())),
            ),
          );
        needed = (live?.n ?? 0) === 0;
      }
      if (!needed) return revokedEnvToken ? { revokedEnvToken } : {};
      const secret = generateSecret();
      const id = newId("tok");
      await tx.insert(tokens).values({
        id,
        name: "admin (generated)",
        role: "admin",
        hash: sha256Hex(secret),
        createdBy: "system",
      });
      await writeAudit(tx, {
        actor: "system",
        action: "token.create",
        targetKind: "token",
        targetName: id,
        detail: { name: "admin (generated)", role: "admin" },
      });
      return revokedEnvToken ? { generated: secret, revokedEnvToken } : { generated: secret };
    });
  }
}

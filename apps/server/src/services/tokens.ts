import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type CreatedToken,
  type CreateTokenRequest,
  ENV_ADMIN_TOKEN_ID,
  type Token,
} from "@celgate/contracts";
import { and, asc, count, eq, gt, isNull, or, sql } from "drizzle-orm";
import {
  advisoryXactLock,
  DatabaseBrokenError,
  type Db,
  LOCKS,
  type Session,
  type Tx,
} from "../db/client.js";
import { settings, tokens } from "../db/schema.js";
import type { Principal } from "../lib/context.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";

import { newId, sha256Hex } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { writeAudit } from "./audit.js";
import { refuse } from "./errors.js";

const ENV_ADMIN_ID = ENV_ADMIN_TOKEN_ID;
const ENV_ADMIN_NAME = "admin (CELGATE_ADMIN_TOKEN)";
const CACHE_MS = 1000;
const TOUCH_MS = 60_000;
/** The installation's salt of the claim keys (settings table): a claim key says nothing about a token to whoever reads pg_locks. */
const CLAIM_SALT_SETTING = "admin_token_claim_salt";
/** The claim key of an instance without CELGATE_ADMIN_TOKEN; a value's key is never 0. */
const UNSET_CLAIM = 0;
/** How long to wait before claiming again after the claim's connection was lost. */
const RECLAIM_MS = [1000, 2000, 5000] as const;

/**
 * Why a start refuses: a running instance on the same database has another CELGATE_ADMIN_TOKEN
 * (or it set and this one not, or the other way round). The message names the variable.
 */
export class AdminTokenConflictError extends Error {
  override name = "AdminTokenConflictError";
}

/** This instance's claim on its CELGATE_ADMIN_TOKEN, held until release(). */
export interface AdminTokenClaim {
  /** Gives the claim up (at shutdown); never throws. */
  release(): Promise<void>;
}

/** What TokenService.seedAdmin needs to claim the variable: sessions of their own, and where to say what happens later. */
export interface ClaimOptions {
  session(): Promise<Session>;
  logger: Logger;
}

/** A running instance that holds a claim with another key. */
interface Claimant {
  pid: number;
  key: string;
  addr: string | null;
  app: string | null;
}

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
  /**
   * The hash of this instance's CELGATE_ADMIN_TOKEN (set by seedAdmin); null without it. The
   * stored `tok_env_admin` is honoured only while it holds this hash, so no other instance's
   * start can make this one accept a value it was not given, nor revoke the one it was.
   */
  #envHash: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly claims: ClaimOptions,
  ) {}

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
      (row.id !== ENV_ADMIN_ID || row.hash === this.#envHash) &&
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
   * At start: claims CELGATE_ADMIN_TOKEN for this instance, then makes it a live admin token
   * when given (`tok_env_admin`, its secret replaced when the variable changed). Without it,
   * revokes a live `tok_env_admin` left by an earlier start (`revokedEnvToken`: removing the
   * variable is how it is revoked), then, when the database holds no token at all or that
   * revocation left no live admin token, generates an admin token and returns its secret (to be
   * printed once).
   *
   * The claim is a shared session lock whose key is derived from the variable's value (one key
   * for "unset"), held on a connection of its own until `claim.release()`. Every running
   * instance holds one, so a start whose value differs from that of an instance still running
   * on the same database would replace or revoke that instance's admin token: it throws
   * AdminTokenConflictError instead, naming the variable and the instances in the way, and
   * changes nothing.
   */
  async seedAdmin(
    adminToken: string | undefined,
  ): Promise<{ generated?: string; revokedEnvToken?: boolean; claim: AdminTokenClaim }> {
    const envHash = adminToken === undefined ? null : sha256Hex(adminToken);
    const key = await this.#claimKey(envHash);
    const claim = await InstanceClaim.take(key, this.claims);
    try {
      const seeded = await this.#seed(adminToken, key);
      this.#envHash = envHash;
      this.#cache.clear();
      return { ...seeded, claim };
    } catch (err) {
      await claim.release();
      throw err;
    }
  }

  /** The claim key of a CELGATE_ADMIN_TOKEN hash: 31 bits of its HMAC under the installation's salt. */
  async #claimKey(envHash: string | null): Promise<number> {
    if (envHash === null) return UNSET_CLAIM;
    // Replicas starting together: the first insert wins and every one reads the winner.
    await this.db
      .insert(settings)
      .values({ key: CLAIM_SALT_SETTING, value: randomBytes(32).toString("base64url") })
      .onConflictDoNothing();
    const [row] = await this.db
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, CLAIM_SALT_SETTING));
    if (!row) throw new Error(`the setting ${CLAIM_SALT_SETTING} could not be stored`);
    const bits = createHmac("sha256", row.value).update(envHash).digest().readUInt32BE(0) & 0x7fffffff;
    return bits === UNSET_CLAIM ? 1 : bits;
  }

  async #seed(
    adminToken: string | undefined,
    key: number,
  ): Promise<{ generated?: string; revokedEnvToken?: boolean }> {
    return this.db.transaction(async (tx) => {
      await advisoryXactLock(tx, LOCKS.tokenSeed);
      // Under the seeding lock, so of two instances starting together with different values
      // the second sees the first's claim. (Each took its own claim before: both may refuse.)
      const others = await claimants(tx, key);
      if (others.length > 0)
        throw new AdminTokenConflictError(conflictMessage(adminToken !== undefined, others));
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

/** Running instances' claims on this database whose key is not $1 (one row per instance). */
const CLAIMANTS = `select distinct l.pid, l.objid::text as key, host(a.client_addr) as addr, a.application_name as app
  from pg_locks l left join pg_stat_activity a on a.pid = l.pid
  where l.locktype = 'advisory' and l.granted and l.objsubid = 2
    and l.classid = ${LOCKS.adminTokenClaim}::oid and l.objid <> $1::oid
    and l.database = (select oid from pg_database where datname = current_database())
  order by l.pid`;

/** The running instances whose claim is not `key`, read in a transaction or on a session. */
async function claimants(db: Tx | Session, key: number): Promise<Claimant[]> {
  if (!("execute" in db)) return db.query<Claimant>(CLAIMANTS, [key]);
  const [head, tail] = CLAIMANTS.split("$1") as [string, string];
  const result: unknown = await db.execute(sql`${sql.raw(head)}${key}${sql.raw(tail)}`);
  // node-postgres and PGlite both answer `{rows}` for a raw statement
  return (result as { rows: Claimant[] }).rows;
}

/** Which running instances disagree with this one's CELGATE_ADMIN_TOKEN (`set` or not), and what to do. */
function conflictMessage(set: boolean, others: readonly Claimant[]): string {
  const who = others
    .map((o) => {
      const theirs = o.key === String(UNSET_CLAIM) ? "unset" : set ? "set to another value" : "set";
      return `one with it ${theirs} (PostgreSQL backend pid ${o.pid}${o.addr ? `, client ${o.addr}` : ""}${o.app ? `, application ${o.app}` : ""})`;
    })
    .join("; ");
  return `CELGATE_ADMIN_TOKEN is ${set ? "set here" : "unset here"}, unlike ${others.length === 1 ? "an instance" : `${others.length} instances`} still running on this database: ${who}. Instances sharing a database must agree on CELGATE_ADMIN_TOKEN (the same value, or unset on all), since a start ${set ? "replaces the stored admin token with its value" : "without it revokes the stored admin token"}: start this instance with their CELGATE_ADMIN_TOKEN, or stop them all and start them with the new one (see "The admin token" in docs/operations.md)`;
}

/**
 * The session lock of one instance's claim. After its connection is lost (the database
 * restarted), it is taken again on a new one; if a start with another value slipped in
 * meanwhile, that is logged as an error, and this instance's CELGATE_ADMIN_TOKEN is refused
 * from then on (the stored token no longer holds its hash) rather than accepted elsewhere.
 */
class InstanceClaim implements AdminTokenClaim {
  #session: Session;
  #released = false;

  private constructor(
    session: Session,
    private readonly key: number,
    private readonly options: ClaimOptions,
  ) {
    this.#session = session;
    this.#watch(session);
  }

  /** Opens a session and takes the claim `key` on it. Throws if the database cannot be reached. */
  static async take(key: number, options: ClaimOptions): Promise<InstanceClaim> {
    const session = await options.session();
    try {
      await lock(session, key);
    } catch (err) {
      await session.close();
      throw err;
    }
    return new InstanceClaim(session, key, options);
  }

  #watch(session: Session): void {
    session.onLost((err) => {
      if (this.#released) return;
      this.options.logger.error(
        { err: err.message },
        "lost the database connection that holds this instance's claim on CELGATE_ADMIN_TOKEN; claiming it again",
      );
      void this.#reclaim();
    });
  }

  async #reclaim(): Promise<void> {
    for (let attempt = 0; !this.#released; attempt++) {
      await new Promise((r) => setTimeout(r, RECLAIM_MS[Math.min(attempt, RECLAIM_MS.length - 1)]).unref());
      if (this.#released) return;
      let session: Session | undefined;
      try {
        session = await this.options.session();
        await lock(session, this.key);
        const others = await claimants(session, this.key);
        if (this.#released) {
          await session.close();
          return;
        }
        this.#session = session;
        this.#watch(session);
        // too late to refuse: say so (this instance accepts its value only while tok_env_admin holds it)
        if (others.length > 0)
          this.options.logger.error(
            { claimants: others.map((o) => o.pid) },
            `while this instance's claim was lost, others started: ${conflictMessage(this.key !== UNSET_CLAIM, others)}`,
          );
        else this.options.logger.info("claimed CELGATE_ADMIN_TOKEN again");
        return;
      } catch (err) {
        await session?.close();
        // the database was closed: the instance is stopping
        if (err instanceof DatabaseBrokenError && session === undefined) return;
      }
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    // explicit: PGlite's session is the shared connection, which stays open
    await this.#session
      .query("select pg_advisory_unlock_shared($1, $2)", [LOCKS.adminTokenClaim, this.key])
      .catch(() => {});
    await this.#session.close();
  }
}

function lock(session: Session, key: number): Promise<unknown> {
  return session.query("select pg_advisory_lock_shared($1, $2)", [LOCKS.adminTokenClaim, key]);
}

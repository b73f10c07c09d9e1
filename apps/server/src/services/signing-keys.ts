import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { type Jwks, jwkThumbprint, type KeyRotation, type SigningJwk } from "@celgate/contracts";
import { and, asc, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { signingKeys } from "../db/schema.js";
import { problems } from "../lib/errors.js";
import { withoutSecrets } from "../lib/secret-errors.js";
import { writeAudit } from "./audit.js";

/** Rethrows a failed statement that wrote a private key without the key (see withoutSecrets). */
const withheld = (err: unknown): never => {
  throw withoutSecrets(err);
};

/** How long an instance signs with the key it read before looking again (a rotation made by another replica). */
const ACTIVE_KEY_TTL_MS = 60_000;

/**
 * How long a key stays good for signing after a newer key from CELGATE_SIGNING_KEY took over, by
 * default (CELGATE_KEY_HANDOVER_S): the time a rolling update may take, while replicas not yet
 * replaced still sign with the old key. Published as the old key's `retiredAt`, so verifiers
 * refuse what it signs later.
 */
export const KEY_HANDOVER_MS = 15 * 60_000;

/** A key able to sign, with its id. */
export interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
}

/** The raw Ed25519 public key of a key, base64url (a JWK's `x`). */
function publicX(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return jwk.x;
}

/**
 * The receipt signing keys. The key in use is CELGATE_SIGNING_KEY when set (its public key is
 * recorded, its private key never), else the database's generated key (made once, shared by
 * replicas). Every key ever used stays published, so old receipts keep verifying.
 *
 * A key from CELGATE_SIGNING_KEY retires every key recorded before it (the generated key, an
 * earlier file's key) CELGATE_KEY_HANDOVER_S (15 minutes) after it first signs: a replaced file is a rotation.
 * Replicas still on the old key sign with it until then (a rolling update); afterwards a
 * replica given the retired key refuses to sign rather than sign receipts no verifier accepts.
 */
export class SigningKeyService {
  #active: { key: Promise<ActiveKey>; at: number } | undefined;

  constructor(
    private readonly db: Db,
    /** From CELGATE_SIGNING_KEY. */
    private readonly fileKey?: KeyObject,
    /** How long the keys a file's key replaces keep signing (CELGATE_KEY_HANDOVER_S). */
    private readonly handoverMs: number = KEY_HANDOVER_MS,
  ) {
    if (fileKey && fileKey.asymmetricKeyType !== "ed25519")
      throw new Error("the receipt signing key must be an Ed25519 private key");
  }

  /** The key to sign with now; generates and stores one at first use. Throws when the database fails. */
  active(): Promise<ActiveKey> {
    const now = Date.now();
    if (!this.#active || now - this.#active.at > ACTIVE_KEY_TTL_MS) {
      const key = this.#load().catch((err: unknown) => {
        this.#active = undefined; // a database hiccup must not stick
        throw err;
      });
      this.#active = { key, at: now };
    }
    return this.#active.key;
  }

  /** Ed25519 signature of bytes with the key in use. */
  async sign(bytes: Uint8Array): Promise<{ kid: string; sig: Buffer }> {
    const key = await this.active();
    return { kid: key.kid, sig: sign(null, bytes, key.privateKey) };
  }

  async #load(): Promise<ActiveKey> {
    if (this.fileKey) {
      const x = publicX(this.fileKey);
      const kid = await jwkThumbprint(x);
      await this.db.insert(signingKeys).values({ kid, publicKey: x, source: "file" }).onConflictDoNothing();
      const [own] = await this.db
        .select({
          createdAt: signingKeys.createdAt,
          retiredAt: signingKeys.retiredAt,
          over: sql<boolean>`${signingKeys.retiredAt} is not null and ${signingKeys.retiredAt} <= now()`,
        })
        .from(signingKeys)
        .where(eq(signingKeys.kid, kid));
      if (!own) throw new Error("the receipt signing key could not be recorded");
      if (own.over)
        throw new Error(
          `the receipt signing key in CELGATE_SIGNING_KEY (${kid}) was retired at ${own.retiredAt?.toISOString()}, when a newer key took over: a retired key signs nothing more (verifiers refuse it); give the service a new key`,
        );
      await this.#retireOlder(kid, own.createdAt);
      return { kid, privateKey: this.fileKey };
    }
    const current = await this.#current();
    if (current) return current;
    await this.#generate();
    const made = await this.#current();
    if (!made) throw new Error("the receipt signing key could not be stored");
    return made;
  }

  /**
   * The generated key in use: the one not retired, else one whose retirement by a file's key is
   * still to come (this replica has not been given the file yet: it keeps signing with the key
   * until then, instead of making a new one).
   */
  async #current(): Promise<ActiveKey | null> {
    const rows = await this.db
      .select({ kid: signingKeys.kid, privateKey: signingKeys.privateKey, retiredAt: signingKeys.retiredAt })
      .from(signingKeys)
      .where(
        and(
          eq(signingKeys.source, "generated"),
          or(isNull(signingKeys.retiredAt), sql`${signingKeys.retiredAt} > now()`),
        ),
      );
    const row = rows.find((r) => r.retiredAt === null) ?? rows[0];
    if (!row?.privateKey) return null;
    return { kid: row.kid, privateKey: createPrivateKey(row.privateKey) };
  }

  /**
   * Retires, `handoverMs` from now, every key not yet retired that was recorded before the
   * file's key `kid` (recorded at `since`). Never a newer one: a replica still on an old file
   * must not retire the key that replaced it.
   */
  async #retireOlder(kid: string, since: Date): Promise<void> {
    await this.db
      .transaction(async (tx) => {
        const retired = await tx
          .update(signingKeys)
          .set({ retiredAt: sql`now() + ${this.handoverMs} * interval '1 millisecond'` })
          .where(
            and(ne(signingKeys.kid, kid), isNull(signingKeys.retiredAt), lt(signingKeys.createdAt, since)),
          )
          .returning({ kid: signingKeys.kid, retiredAt: signingKeys.retiredAt });
        for (const row of retired)
          await writeAudit(tx, {
            actor: "system",
            action: "signing-key.retire",
            targetKind: "signing-key",
            targetName: row.kid,
            detail: { by: kid, retiredAt: row.retiredAt?.toISOString() ?? null },
          });
      })
      .catch(withheld);
  }

  /** Stores a fresh generated key; a concurrent one already in use wins (the partial unique index). */
  async #generate(): Promise<void> {
    const { privateKey } = generateKeyPairSync("ed25519");
    const x = publicX(privateKey);
    const kid = await jwkThumbprint(x);
    await this.db
      .insert(signingKeys)
      .values({
        kid,
        publicKey: x,
        privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        source: "generated",
      })
      .onConflictDoNothing()
      .catch(withheld);
  }

  /**
   * Retires the generated key in use and makes a new one (`POST /v1/keys:rotate`); the old
   * public key stays published. Refused (409) when the key comes from CELGATE_SIGNING_KEY:
   * replace the file and restart instead. Other replicas take the new key within a minute.
   */
  async rotate(actor: string): Promise<KeyRotation> {
    if (this.fileKey)
      throw problems.conflict(
        "the signing key comes from CELGATE_SIGNING_KEY: rotate by pointing it at a new key file and restarting; the old public key stays published",
      );
    const { privateKey } = generateKeyPairSync("ed25519");
    const x = publicX(privateKey);
    const kid = await jwkThumbprint(x);
    const previous = await this.db
      .transaction(async (tx) => {
        const retired = await tx
          .update(signingKeys)
          .set({ retiredAt: sql`now()` })
          .where(and(eq(signingKeys.source, "generated"), isNull(signingKeys.retiredAt)))
          .returning({ kid: signingKeys.kid });
        await tx.insert(signingKeys).values({
          kid,
          publicKey: x,
          privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
          source: "generated",
        });
        const previous = retired[0]?.kid ?? null;
        await writeAudit(tx, {
          actor,
          action: "signing-key.rotate",
          targetKind: "signing-key",
          targetName: kid,
          detail: { previous },
        });
        return previous;
      })
      .catch(withheld);
    this.#active = undefined;
    return { kid, previous };
  }

  /** Every public key, oldest first, as a JWKS (`GET /v1/keys`). */
  async jwks(): Promise<Jwks> {
    // the key in use is recorded before it is published (a fresh database has none yet)
    await this.active();
    const rows = await this.db
      .select({ kid: signingKeys.kid, x: signingKeys.publicKey, retiredAt: signingKeys.retiredAt })
      .from(signingKeys)
      .orderBy(asc(signingKeys.createdAt), asc(signingKeys.kid));
    return {
      keys: rows.map(
        (r): SigningJwk => ({
          kty: "OKP",
          crv: "Ed25519",
          x: r.x,
          kid: r.kid,
          use: "sig",
          alg: "EdDSA",
          // a rotated key: receipts it signs afterwards (with a stolen private key) are refused
          ...(r.retiredAt ? { retiredAt: r.retiredAt.toISOString() } : {}),
        }),
      ),
    };
  }
}

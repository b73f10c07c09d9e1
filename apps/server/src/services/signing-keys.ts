import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { type Jwks, jwkThumbprintInput, type KeyRotation, type SigningJwk } from "@celgate/contracts";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { signingKeys } from "../db/schema.js";
import { problems } from "../lib/errors.js";
import { writeAudit } from "./audit.js";
import { withoutSecrets } from "./secret-errors.js";

/** Rethrows a failed statement that wrote a private key without the key (see withoutSecrets). */
const withheld = (err: unknown): never => {
  throw withoutSecrets(err);
};

/** How long an instance signs with the key it read before looking again (a rotation made by another replica). */
const ACTIVE_KEY_TTL_MS = 60_000;

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

/** The key id of a public key: its RFC 7638 JWK thumbprint (SHA-256, base64url). */
export function keyIdOf(x: string): string {
  return createHash("sha256").update(jwkThumbprintInput(x)).digest("base64url");
}

/**
 * The receipt signing keys. The key in use is CELGATE_SIGNING_KEY when set (its public key is
 * recorded, its private key never), else the database's generated key (made once, shared by
 * replicas). Every key ever used stays published, so old receipts keep verifying.
 */
export class SigningKeyService {
  #active: { key: Promise<ActiveKey>; at: number } | undefined;

  constructor(
    private readonly db: Db,
    /** From CELGATE_SIGNING_KEY. */
    private readonly fileKey?: KeyObject,
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
      const kid = keyIdOf(x);
      await this.db.insert(signingKeys).values({ kid, publicKey: x, source: "file" }).onConflictDoNothing();
      return { kid, privateKey: this.fileKey };
    }
    const current = await this.#current();
    if (current) return current;
    await this.#generate();
    const made = await this.#current();
    if (!made) throw new Error("the receipt signing key could not be stored");
    return made;
  }

  async #current(): Promise<ActiveKey | null> {
    const [row] = await this.db
      .select({ kid: signingKeys.kid, privateKey: signingKeys.privateKey })
      .from(signingKeys)
      .where(and(eq(signingKeys.source, "generated"), isNull(signingKeys.retiredAt)));
    if (!row?.privateKey) return null;
    return { kid: row.kid, privateKey: createPrivateKey(row.privateKey) };
  }

  /** Stores a fresh generated key; a concurrent one already in use wins (the partial unique index). */
  async #generate(): Promise<void> {
    const { privateKey } = generateKeyPairSync("ed25519");
    const x = publicX(privateKey);
    await this.db
      .insert(signingKeys)
      .values({
        kid: keyIdOf(x),
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
    const kid = keyIdOf(x);
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

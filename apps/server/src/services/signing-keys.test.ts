// Replacing CELGATE_SIGNING_KEY is a rotation: the keys recorded before the new one are
// published as retired once the handover is over, and a replica given a retired key refuses
// to sign. On both databases, through the service the server uses.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { eq, like, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { audit, signingKeys } from "../db/schema.js";
import { BACKENDS, openTestDatabase } from "../test/harness.js";
import { KEY_HANDOVER_MS, SigningKeyService } from "./signing-keys.js";

const fileKey = (): KeyObject => generateKeyPairSync("ed25519").privateKey;

describe.each(BACKENDS)("signing keys from CELGATE_SIGNING_KEY (%s)", (backend) => {
  // one database for the file, emptied of keys (and their audit) after each test
  let opened: { database: Database; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    opened = await openTestDatabase(backend);
  });
  afterEach(async () => {
    const db = opened?.database.db;
    await db?.delete(audit).where(like(audit.action, "signing-key.%"));
    await db?.delete(signingKeys);
  });
  afterAll(async () => {
    await opened?.drop();
  });
  const open = async () => (opened as { database: Database }).database.db;
  const published = async (service: SigningKeyService) =>
    new Map((await service.jwks()).keys.map((k) => [k.kid, k.retiredAt]));
  /** Ends the handover of `kid` now, as if its time had come. */
  const endHandover = (db: Database["db"], kid: string) =>
    db
      .update(signingKeys)
      .set({ retiredAt: sql`now() - interval '1 second'` })
      .where(eq(signingKeys.kid, kid));

  it("a file's key retires the generated key after the handover, and the audit log says so", async () => {
    const db = await open();
    const generated = await new SigningKeyService(db).active();
    const before = Date.now();
    const replica = new SigningKeyService(db, fileKey());
    const { kid } = await replica.active();
    const keys = await published(replica);
    expect(keys.get(kid)).toBeUndefined();
    const retiredAt = Date.parse(keys.get(generated.kid) ?? "");
    // retired when the handover ends, not at once: replicas not yet replaced still sign with it
    expect(retiredAt).toBeGreaterThanOrEqual(before + KEY_HANDOVER_MS - 5_000);
    expect(retiredAt).toBeLessThanOrEqual(Date.now() + KEY_HANDOVER_MS + 5_000);
    const entries = await db.select().from(audit).where(eq(audit.action, "signing-key.retire"));
    expect(entries).toMatchObject([
      { actor: "system", targetKind: "signing-key", targetName: generated.kid, detail: { by: kid } },
    ]);
  });

  it("a replica not yet given the file keeps signing with the generated key during the handover", async () => {
    const db = await open();
    const generated = await new SigningKeyService(db).active();
    await new SigningKeyService(db, fileKey()).active();
    // a fresh instance without the file (the old version of a rolling update, restarted)
    const old = new SigningKeyService(db);
    expect((await old.active()).kid).toBe(generated.kid);
    const rows = await db.select().from(signingKeys).where(eq(signingKeys.source, "generated"));
    expect(rows).toHaveLength(1);
  });

  it("a newer file's key retires the older one; the older never retires the newer", async () => {
    const db = await open();
    const firstKey = fileKey();
    const firstKid = (await new SigningKeyService(db, firstKey, 60_000).active()).kid;
    const second = new SigningKeyService(db, fileKey(), 60_000);
    const secondKid = (await second.active()).kid;
    // the replica still on the first file loads its key again (every minute)
    await new SigningKeyService(db, firstKey, 60_000).active();
    const keys = await published(second);
    expect(keys.get(secondKid)).toBeUndefined();
    const retiredAt = Date.parse(keys.get(firstKid) ?? "");
    expect(retiredAt).toBeGreaterThan(Date.now());
    expect(retiredAt).toBeLessThanOrEqual(Date.now() + 65_000);
  });

  it("a replica given a key whose handover is over refuses to sign, naming the key", async () => {
    const db = await open();
    const generated = (await new SigningKeyService(db).active()).kid;
    const oldKey = fileKey();
    const oldKid = (await new SigningKeyService(db, oldKey).active()).kid;
    await new SigningKeyService(db, fileKey()).active();
    await endHandover(db, oldKid);
    await endHandover(db, generated);
    const stale = new SigningKeyService(db, oldKey);
    const refused = await stale.sign(new Uint8Array([1])).then(
      () => "signed",
      (err: Error) => err.message,
    );
    expect(refused).toContain(`CELGATE_SIGNING_KEY (${oldKid}) was retired at `);
    expect(refused).toContain("give the service a new key");
    // nor is the generated key once its handover is over: a replica without a file makes a new one
    const made = await new SigningKeyService(db).active();
    expect([generated, oldKid]).not.toContain(made.kid);
  });
});

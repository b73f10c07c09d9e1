// The If-Match / version / audit sequence shared by policies and exceptions, on both databases:
// every refusal leaves no trace (no row change, no version row, no audit row, no new generation).
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { audit, exceptions, policies, policyVersions, state } from "../db/schema.js";
import { createLogger } from "../lib/logger.js";
import { BACKENDS, exceptionYaml, openTestDatabase } from "../test/harness.js";
import { DomainError, type DomainErrorCode } from "./errors.js";
import { EXCEPTION_RESOURCE } from "./exceptions.js";
import { POLICY_RESOURCE, parseSingleDocument } from "./policies.js";
import { PolicySetRuntime } from "./policy-set.js";
import { VersionedStore } from "./versioned.js";

const exception = (name: string, reason = "tracked in SEC-1") =>
  parseSingleDocument({ text: exceptionYaml(name, { reason }) }, "PolicyException");

const policy = (name: string, message = "needs an owner") =>
  parseSingleDocument(
    {
      text: `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
spec:
  match:
    kinds: [Deployment]
  validations:
    - expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
      message: ${message}
`,
    },
    "Policy",
  );

/** Awaits `p` and returns the code of the DomainError it rejects with. */
async function refusal(p: Promise<unknown>): Promise<DomainErrorCode> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err.code;
}

describe.each(BACKENDS)("the versioned change sequence on %s", (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  let runtime: PolicySetRuntime;
  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase(backend));
    runtime = new PolicySetRuntime(database.db, createLogger("silent"), 0);
  });
  afterAll(() => drop());

  /** What a change leaves behind: rows, version rows, audit rows and the generation. */
  async function traces() {
    const db = database.db;
    const [a] = await db.select({ n: count() }).from(audit);
    const [v] = await db.select({ n: count() }).from(policyVersions);
    const [g] = await db.select({ value: state.value }).from(state).where(eq(state.key, "policy_generation"));
    const rows = [
      ...(await db.select({ name: exceptions.name, etag: exceptions.etag }).from(exceptions)),
      ...(await db.select({ name: policies.name, etag: policies.etag }).from(policies)),
    ];
    return { audit: a?.n, versions: v?.n, generation: g?.value, rows };
  }

  it("creates at version 1 with an audit row and a new generation; a second create is refused", async () => {
    const store = new VersionedStore(database.db, runtime, EXCEPTION_RESOURCE);
    const before = await traces();
    const row = await store.create("alice", "legacy", exception("legacy"));
    expect(row).toMatchObject({ name: "legacy", version: 1, etag: '"v1"', updatedBy: "alice" });
    const after = await traces();
    expect(after.audit).toBe((before.audit ?? 0) + 1);
    expect(after.generation).toBe((before.generation ?? 0) + 1);
    expect(await refusal(store.create("bob", "legacy", exception("legacy")))).toBe("already-exists");
    expect(await traces()).toEqual(after);
  });

  it("refuses a replacement without If-Match (428) before reading the document", async () => {
    const store = new VersionedStore(database.db, runtime, EXCEPTION_RESOURCE);
    let read = false;
    const doc = () => {
      read = true;
      return exception("legacy");
    };
    const before = await traces();
    expect(await refusal(store.replace("bob", "legacy", undefined, doc))).toBe("precondition-required");
    expect(await refusal(store.replace("bob", "legacy", "", doc))).toBe("precondition-required");
    expect(read).toBe(false);
    expect(await traces()).toEqual(before);
  });

  it("refuses a stale If-Match (412) and an unknown name (404), leaving no trace", async () => {
    const store = new VersionedStore(database.db, runtime, EXCEPTION_RESOURCE);
    const before = await traces();
    expect(await refusal(store.replace("bob", "legacy", '"v0"', () => exception("legacy")))).toBe(
      "precondition-failed",
    );
    expect(await refusal(store.remove("bob", "legacy", '"v7", "v8"'))).toBe("precondition-failed");
    expect(await refusal(store.replace("bob", "missing", '"v1"', () => exception("missing")))).toBe(
      "not-found",
    );
    expect(await refusal(store.remove("bob", "missing", undefined))).toBe("not-found");
    expect(await traces()).toEqual(before);
  });

  it("refuses with 412 when the guarded write loses to another writer, and rolls back", async () => {
    // the write step reports a lost race, as the ETag-guarded update does when another writer won
    const losing = new VersionedStore(database.db, runtime, {
      ...EXCEPTION_RESOURCE,
      update: async () => undefined,
      delete: async () => false,
    });
    const before = await traces();
    expect(await refusal(losing.replace("bob", "legacy", '"v1"', () => exception("legacy", "other")))).toBe(
      "precondition-failed",
    );
    expect(await refusal(losing.remove("bob", "legacy", '"v1"'))).toBe("precondition-failed");
    expect(await traces()).toEqual(before);
  });

  it("lets exactly one of two concurrent replacements with the same If-Match win", async () => {
    const store = new VersionedStore(database.db, runtime, EXCEPTION_RESOURCE);
    const results = await Promise.allSettled([
      store.replace("bob", "legacy", '"v1"', () => exception("legacy", "first")),
      store.replace("carol", "legacy", '"v1"', () => exception("legacy", "second")),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const reason: unknown = lost[0]?.status === "rejected" ? lost[0].reason : undefined;
    expect(reason instanceof DomainError && reason.code).toBe("precondition-failed");
    const [row] = await database.db.select().from(exceptions).where(eq(exceptions.name, "legacy"));
    expect(row?.version).toBe(2);
    await store.remove("dave", "legacy", "*");
    expect(await database.db.select().from(exceptions)).toEqual([]);
  });

  it("keeps policy versions across a deletion and refuses changes of repository policies (409)", async () => {
    const store = new VersionedStore(database.db, runtime, POLICY_RESOURCE);
    await store.create("alice", "owner-label", policy("owner-label"));
    const replaced = await store.replace("alice", "owner-label", '"v1"', () =>
      policy("owner-label", "an owner, please"),
    );
    expect(replaced.version).toBe(2);
    await store.remove("alice", "owner-label", '"v2"');
    const again = await store.create("alice", "owner-label", policy("owner-label"));
    expect(again.version).toBe(4);
    const versions = await database.db
      .select({ version: policyVersions.version, change: policyVersions.change })
      .from(policyVersions)
      .where(eq(policyVersions.name, "owner-label"));
    expect(versions.map((v) => `${v.version}:${v.change}`).sort()).toEqual([
      "1:create",
      "2:update",
      "3:delete",
      "4:create",
    ]);

    await database.db.update(policies).set({ source: "repository" }).where(eq(policies.name, "owner-label"));
    const before = await traces();
    expect(await refusal(store.replace("alice", "owner-label", "*", () => policy("owner-label")))).toBe(
      "conflict",
    );
    expect(await refusal(store.remove("alice", "owner-label", undefined))).toBe("conflict");
    expect(await refusal(store.create("alice", "owner-label", policy("owner-label")))).toBe("already-exists");
    expect(await traces()).toEqual(before);
  });
});

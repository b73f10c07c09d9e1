import type { ExceptionResource } from "@celgate/contracts";
import type { ExceptionDocument } from "@celgate/core";
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { exceptions } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { unstorableTime } from "../lib/errors.js";
import { etagOf } from "../lib/etag.js";
import { exceptionChange, recordChange } from "./changes.js";
import { refuse } from "./errors.js";
import { checkPathName, type DocumentBody, parseSingleDocument } from "./policies.js";
import type { PolicySetRuntime } from "./policy-set.js";
import { type VersionedResource, VersionedStore } from "./versioned.js";

type Row = typeof exceptions.$inferSelect;

function toWire(r: Row, now = Date.now()): ExceptionResource {
  return {
    name: r.name,
    version: r.version,
    etag: r.etag,
    expires: r.expires.toISOString(),
    expired: r.expires.getTime() <= now,
    document: r.document,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}

/**
 * The exception's `spec.expires`, as the `expires` column stores it; throws a 422 naming the
 * field when it lies outside STORABLE_TIMES (lib/errors.ts). The engine reads any time
 * JavaScript has, but a five-digit year was a 500 and a year below 100 was read back as 19xx.
 */
function storableExpiry(doc: ExceptionDocument): Date {
  const expires = new Date(doc.spec.expires);
  const why = unstorableTime(expires);
  if (why === undefined) return expires;
  throw refuse("invalid-input", `spec.expires (${doc.spec.expires}) ${why}`, [
    { path: "spec.expires", message: why },
  ]);
}

/** PolicyExceptions (waivers): create, read, replace (If-Match), delete, list with `expiring`. */
export class ExceptionService {
  readonly #store: VersionedStore<Row, ExceptionDocument>;

  constructor(
    private readonly db: Db,
    runtime: PolicySetRuntime,
  ) {
    this.#store = new VersionedStore(db, runtime, EXCEPTION_RESOURCE);
  }

  async list(q: {
    expiringMs?: number | undefined;
    policy?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }) {
    const now = new Date();
    const after = q.cursor ? decodeCursor(q.cursor, CURSORS.exceptions).exception : undefined;
    const rows = await this.db
      .select()
      .from(exceptions)
      .where(
        and(
          after ? gt(exceptions.name, after) : undefined,
          q.expiringMs === undefined ? undefined : gt(exceptions.expires, now),
          q.expiringMs === undefined
            ? undefined
            : lte(exceptions.expires, new Date(now.getTime() + q.expiringMs)),
          q.policy === undefined
            ? undefined
            : // the document is json (kept as written): its policies are read as jsonb to compare
              sql`((${exceptions.document}->'spec'->'policies')::jsonb @> ${JSON.stringify([q.policy])}::jsonb or (${exceptions.document}->'spec'->'policies')::jsonb @> '["*"]'::jsonb)`,
        ),
      )
      .orderBy(asc(exceptions.name))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toWire(r, now.getTime())),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ exception: last.name }) : null,
    };
  }

  async get(name: string): Promise<ExceptionResource> {
    const [row] = await this.db.select().from(exceptions).where(eq(exceptions.name, name));
    if (!row) throw refuse("not-found", `no exception named ${name}`);
    return toWire(row);
  }

  async create(actor: string, body: DocumentBody): Promise<ExceptionResource> {
    const doc = parseSingleDocument(body, "PolicyException");
    storableExpiry(doc);
    return toWire(await this.#store.create(actor, doc.metadata.name, doc));
  }

  /** Replaces an exception: 428 without If-Match, then the body is read (400/422), then 404/412. */
  async replace(
    actor: string,
    name: string,
    ifMatch: string | undefined,
    body: DocumentBody,
  ): Promise<ExceptionResource> {
    const row = await this.#store.replace(actor, name, ifMatch, () => {
      const doc = parseSingleDocument(body, "PolicyException");
      checkPathName(doc, name);
      storableExpiry(doc);
      return doc;
    });
    return toWire(row);
  }

  async remove(actor: string, name: string, ifMatch: string | undefined): Promise<void> {
    await this.#store.remove(actor, name, ifMatch);
  }
}

/** How exceptions are stored: the version counts changes of the row; no version rows are kept. */
export const EXCEPTION_RESOURCE: VersionedResource<Row, ExceptionDocument> = {
  kind: "exception",
  lock: async (tx, name) =>
    (await tx.select().from(exceptions).where(eq(exceptions.name, name)).for("update"))[0],
  exists: (row) =>
    refuse(
      "already-exists",
      `an exception named ${row.name} already exists; replace it with PUT /v1/exceptions/${row.name}`,
    ),
  nextVersion: async (_tx, _name, current) => (current ? current.version + 1 : 1),
  insert: async (tx, { name, version, doc, actor }) =>
    (
      await tx
        .insert(exceptions)
        .values({
          name,
          version,
          etag: etagOf(version),
          expires: storableExpiry(doc),
          document: doc,
          updatedBy: actor,
        })
        .onConflictDoNothing({ target: exceptions.name })
        .returning()
    )[0],
  update: async (tx, current, { version, doc, actor }) =>
    (
      await tx
        .update(exceptions)
        .set({
          version,
          etag: etagOf(version),
          expires: storableExpiry(doc),
          document: doc,
          updatedAt: new Date(),
          updatedBy: actor,
        })
        .where(and(eq(exceptions.name, current.name), eq(exceptions.etag, current.etag)))
        .returning()
    )[0],
  delete: async (tx, current) =>
    (
      await tx
        .delete(exceptions)
        .where(and(eq(exceptions.name, current.name), eq(exceptions.etag, current.etag)))
        .returning({ name: exceptions.name })
    ).length > 0,
  // the inventory entries the exception covers (before and after the change) are re-evaluated
  history: async (tx, { change, doc, current }) => {
    const docs = [doc, current?.document].filter((d): d is ExceptionDocument => d != null);
    const [first, ...rest] = docs;
    if (first) await recordChange(tx, exceptionChange(change, first, ...rest));
  },
  auditDetail: ({ change, version, current, doc }) =>
    change === "create"
      ? { policies: doc?.spec.policies, expires: doc?.spec.expires, reason: doc?.spec.reason }
      : change === "update"
        ? { version, policies: doc?.spec.policies, expires: doc?.spec.expires }
        : { document: current?.document },
};

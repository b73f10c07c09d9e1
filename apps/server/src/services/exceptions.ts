import type { ExceptionResource } from "@celgate/contracts";
import type { ExceptionDocument } from "@celgate/core";
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { exceptions } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { problems } from "../lib/errors.js";
import { etagOf, ifMatchSatisfied } from "../lib/etag.js";
import { writeAudit } from "./audit.js";
import { exceptionChange, recordChange } from "./changes.js";
import { parseSingleDocument } from "./policies.js";
import { bumpGeneration, type PolicySetRuntime } from "./policy-set.js";

type Row = typeof exceptions.$inferSelect;

function toWire(r: Row, now = Date.now()): ExceptionResource {
  return {
    name: r.name,
    version: r.version,
    etag: r.etag,
    expires: r.expires.toISOString(),
    expired: r.expires.getTime() <= now,
    document: r.document as ExceptionResource["document"],
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}

/** PolicyExceptions (waivers): create, read, replace (If-Match), delete, list with `expiring`. */
export class ExceptionService {
  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
  ) {}

  async list(q: {
    expiringMs?: number | undefined;
    policy?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }) {
    const now = new Date();
    const after = q.cursor ? decodeCursor(q.cursor, CURSORS.names).name : undefined;
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
            : sql`(${exceptions.document}->'spec'->'policies' @> ${JSON.stringify([q.policy])}::jsonb or ${exceptions.document}->'spec'->'policies' @> '["*"]'::jsonb)`,
        ),
      )
      .orderBy(asc(exceptions.name))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toWire(r, now.getTime())),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ name: last.name }) : null,
    };
  }

  async get(name: string): Promise<ExceptionResource> {
    const [row] = await this.db.select().from(exceptions).where(eq(exceptions.name, name));
    if (!row) throw problems.notFound(`no exception named ${name}`);
    return toWire(row);
  }

  async create(actor: string, text: string): Promise<ExceptionResource> {
    const doc = parseSingleDocument(text, "PolicyException");
    const name = doc.metadata.name;
    const row = await this.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(exceptions)
        .values({
          name,
          version: 1,
          etag: etagOf(1),
          expires: new Date(doc.spec.expires),
          document: doc as never,
          updatedBy: actor,
        })
        .onConflictDoNothing()
        .returning();
      if (!inserted)
        throw problems.conflict(
          `an exception named ${name} already exists; replace it with PUT /v1/exceptions/${name}`,
        );
      await writeAudit(tx, {
        actor,
        action: "exception.create",
        targetKind: "exception",
        targetName: name,
        detail: { policies: doc.spec.policies, expires: doc.spec.expires, reason: doc.spec.reason },
      });
      await recordChange(tx, exceptionChange("create", doc));
      await bumpGeneration(tx);
      return inserted;
    });
    this.runtime.invalidate();
    return toWire(row);
  }

  async replace(
    actor: string,
    name: string,
    ifMatch: string | undefined,
    text: string,
  ): Promise<ExceptionResource> {
    if (!ifMatch)
      throw problems.preconditionRequired("send If-Match with the ETag of the version you are replacing");
    const doc = parseSingleDocument(text, "PolicyException");
    if (doc.metadata.name !== name)
      throw problems.invalidBody(
        `metadata.name (${doc.metadata.name}) differs from the name in the path (${name})`,
        [{ path: "metadata.name", message: "must equal the name in the path" }],
      );
    const row = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(exceptions).where(eq(exceptions.name, name)).for("update");
      if (!current) throw problems.notFound(`no exception named ${name}`);
      if (!ifMatchSatisfied(ifMatch, current.etag))
        throw problems.preconditionFailed(
          `If-Match ${ifMatch} does not match the current ETag ${current.etag}`,
        );
      const version = current.version + 1;
      const [updated] = await tx
        .update(exceptions)
        .set({
          version,
          etag: etagOf(version),
          expires: new Date(doc.spec.expires),
          document: doc as never,
          updatedAt: new Date(),
          updatedBy: actor,
        })
        .where(and(eq(exceptions.name, name), eq(exceptions.etag, current.etag)))
        .returning();
      if (!updated)
        throw problems.preconditionFailed(`exception ${name} was changed concurrently; read it again`);
      await writeAudit(tx, {
        actor,
        action: "exception.update",
        targetKind: "exception",
        targetName: name,
        detail: { version, policies: doc.spec.policies, expires: doc.spec.expires },
      });
      // The entries the old document covered are concerned too.
      await recordChange(
        tx,
        exceptionChange("update", doc, current.document as unknown as ExceptionDocument),
      );
      await bumpGeneration(tx);
      return updated;
    });
    this.runtime.invalidate();
    return toWire(row);
  }

  async remove(actor: string, name: string, ifMatch: string | undefined): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(exceptions).where(eq(exceptions.name, name)).for("update");
      if (!current) throw problems.notFound(`no exception named ${name}`);
      if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, current.etag))
        throw problems.preconditionFailed(
          `If-Match ${ifMatch} does not match the current ETag ${current.etag}`,
        );
      await tx.delete(exceptions).where(eq(exceptions.name, name));
      await writeAudit(tx, {
        actor,
        action: "exception.delete",
        targetKind: "exception",
        targetName: name,
        detail: { document: current.document },
      });
      await recordChange(tx, exceptionChange("delete", current.document as unknown as ExceptionDocument));
      await bumpGeneration(tx);
    });
    this.runtime.invalidate();
  }
}

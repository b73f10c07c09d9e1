import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import { inSchemaOrder } from "../services/document-order.js";
import { REDACTED_URL_PART, redactedUrl, withoutUrl } from "../services/webhook-targets.js";
import type { Db, Tx } from "./client.js";
import {
  audit,
  exceptions,
  policies,
  policyVersions,
  settings,
  webhookDeliveries,
  webhooks,
} from "./schema.js";

/** Set to `pending` by migration 0009, to `done` once the stored webhook URLs are redacted. */
const WEBHOOK_URLS_SETTING = "webhook_url_redaction";
/** Set to `pending` by migration 0010, to `done` once stored documents are in their schema's order. */
const DOCUMENT_ORDER_SETTING = "document_order";
/** Set to `pending` by migration 0011, to `done` once audited documents are in their schema's order. */
const AUDITED_DOCUMENT_ORDER_SETTING = "audited_document_order";
/** Rows read at once while rewriting. */
const BATCH = 500;

/**
 * The data migrations that need the service's own code (a rule SQL cannot state exactly): each
 * is marked due by a SQL migration and runs here, right after the migrations, before anything
 * reads the database. Call it where the migrations ran (under their lock on PostgreSQL).
 * Throws if the database fails; what it did not finish runs again at the next start.
 */
export async function applyDataMigrations(db: Db): Promise<void> {
  await redactStoredWebhookUrls(db);
  await orderStoredDocuments(db);
  await orderAuditedDocuments(db);
}

/**
 * Runs `work` in one transaction while `setting` says `pending` (its row locked, so replicas
 * starting together run it once), then sets it `done`; returns what `work` returns (how many
 * rows it rewrote), 0 when not due.
 */
async function once(db: Db, setting: string, work: (tx: Tx) => Promise<number>): Promise<number> {
  return db.transaction(async (tx) => {
    const [state] = await tx
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, setting))
      .for("update");
    if (state?.value !== "pending") return 0;
    const changed = await work(tx);
    await tx.update(settings).set({ value: "done" }).where(eq(settings.key, setting));
    return changed;
  });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Puts the policy and exception documents stored before migration 0010 (as jsonb, which kept no
 * key order: `kind, spec, metadata, apiVersion`, nested keys by length) in the order of their
 * schema (inSchemaOrder: apiVersion, kind, metadata, spec, and each field where the engine's
 * schema declares it); their author's order is lost. Values are not changed; a row already in
 * that order is not written. Policies, policy versions and exceptions, in
 * one transaction. Runs while the setting says `pending`, then says `done`, so documents
 * stored after it (in their author's order) are never reordered; returns how many rows it rewrote.
 */
export async function orderStoredDocuments(db: Db): Promise<number> {
  return once(db, DOCUMENT_ORDER_SETTING, async (tx) => {
    let changed = 0;
    changed += await inBatches(
      (after: { name: string } | undefined) =>
        tx
          .select({ name: policies.name, document: policies.document })
          .from(policies)
          .where(gt(policies.name, after?.name ?? ""))
          .orderBy(asc(policies.name))
          .limit(BATCH),
      async (r) => {
        // the labels column keeps jsonb's order, as metadata.labels does (a map's order is kept)
        const document = inSchemaOrder(r.document, "Policy");
        if (same(document, r.document)) return false;
        await tx.update(policies).set({ document }).where(eq(policies.name, r.name));
        return true;
      },
    );
    changed += await inBatches(
      (after: { name: string; version: number } | undefined) =>
        tx
          .select({
            name: policyVersions.name,
            version: policyVersions.version,
            document: policyVersions.document,
          })
          .from(policyVersions)
          .where(
            and(
              isNotNull(policyVersions.document),
              sql`(${policyVersions.name}, ${policyVersions.version}) > (${after?.name ?? ""}, ${after?.version ?? 0})`,
            ),
          )
          .orderBy(asc(policyVersions.name), asc(policyVersions.version))
          .limit(BATCH),
      async (r) => {
        const document = inSchemaOrder(r.document, "Policy");
        if (same(document, r.document)) return false;
        await tx
          .update(policyVersions)
          .set({ document })
          .where(and(eq(policyVersions.name, r.name), eq(policyVersions.version, r.version)));
        return true;
      },
    );
    changed += await inBatches(
      (after: { name: string } | undefined) =>
        tx
          .select({ name: exceptions.name, document: exceptions.document })
          .from(exceptions)
          .where(gt(exceptions.name, after?.name ?? ""))
          .orderBy(asc(exceptions.name))
          .limit(BATCH),
      async (r) => {
        const document = inSchemaOrder(r.document, "PolicyException");
        if (same(document, r.document)) return false;
        await tx.update(exceptions).set({ document }).where(eq(exceptions.name, r.name));
        return true;
      },
    );
    return changed;
  });
}

/**
 * Puts the documents that the audit rows of exception deletions carry (`detail.document`), as
 * stored before migration 0011 (jsonb, which kept no key order), in the order of their schema,
 * as orderStoredDocuments does for the exceptions themselves; the rest of the detail is kept.
 * A row already in that order is not written. One transaction; runs while the setting says
 * `pending`, then says `done`, so rows written after it (in their author's order) are never
 * reordered; returns how many rows it rewrote.
 */
export async function orderAuditedDocuments(db: Db): Promise<number> {
  return once(db, AUDITED_DOCUMENT_ORDER_SETTING, (tx) =>
    inBatches(
      (after: { id: number } | undefined) =>
        tx
          .select({ id: audit.id, detail: audit.detail })
          .from(audit)
          .where(
            and(
              eq(audit.targetKind, "exception"),
              eq(audit.action, "exception.delete"),
              gt(audit.id, after?.id ?? 0),
            ),
          )
          .orderBy(asc(audit.id))
          .limit(BATCH),
      async (r) => {
        const stored = r.detail?.document;
        if (stored === null || typeof stored !== "object") return false;
        const document = inSchemaOrder(stored, "PolicyException");
        if (same(document, stored)) return false;
        await tx
          .update(audit)
          .set({ detail: { ...r.detail, document } })
          .where(eq(audit.id, r.id));
        return true;
      },
    ),
  );
}

/**
 * Visits every row `read` gives, BATCH at a time in key order (`read(after)`: the rows past
 * `after`, the last row of the batch before, in order, at most BATCH), with `visit`, which says
 * whether it rewrote the row; returns how many it rewrote.
 */
async function inBatches<R>(
  read: (after: R | undefined) => Promise<R[]>,
  visit: (row: R) => Promise<boolean>,
): Promise<number> {
  let changed = 0;
  for (let after: R | undefined; ; ) {
    const rows = await read(after);
    for (const row of rows) if (await visit(row)) changed++;
    const last = rows.at(-1);
    if (rows.length < BATCH || last === undefined) return changed;
    after = last;
  }
}

/**
 * Redacts the webhook URLs that releases before URLs were redacted stored whole (migration
 * 0009): the `url` of webhook audit rows becomes redactedUrl's form, and a delivery error that
 * quotes a URL (the `error` of webhook audit rows, `webhook_deliveries.last_error`) has it
 * replaced as withoutUrl replaces it now. Which URLs an error may quote: its webhook's, from
 * the webhooks table and from the audit rows of its creation and deletion (a deleted webhook
 * is known by those), and any other http(s) URL in it with a path, query or credentials.
 * One transaction; rows that already hold the redacted form, or no URL, are not written.
 * Runs while the setting says `pending`, then says `done`; returns how many rows it rewrote.
 * The webhooks table keeps each URL whole: deliveries need it.
 */
export async function redactStoredWebhookUrls(db: Db): Promise<number> {
  return once(db, WEBHOOK_URLS_SETTING, async (tx) => {
    const known = new Map<string, Set<string>>();
    const learn = (id: string, url: unknown) => {
      // a URL that hides nothing (redacted already, or bare) gives no part to look for
      if (typeof url !== "string" || redactedUrl(url) === url) return;
      const urls = known.get(id) ?? new Set<string>();
      urls.add(url);
      known.set(id, urls);
    };
    for (const w of await tx.select({ id: webhooks.id, url: webhooks.url }).from(webhooks))
      learn(w.id, w.url);
    // the detail is json (kept as written, migration 0011): read as json, not jsonb
    const audited = await tx
      .selectDistinct({ id: audit.targetName, url: sql<string>`${audit.detail} ->> 'url'` })
      .from(audit)
      .where(and(eq(audit.targetKind, "webhook"), sql`json_typeof(${audit.detail} -> 'url') = 'string'`));
    for (const a of audited) learn(a.id, a.url);

    let changed = 0;
    changed += await inBatches(
      (after: { id: number } | undefined) =>
        tx
          .select({ id: audit.id, webhook: audit.targetName, detail: audit.detail })
          .from(audit)
          .where(
            and(
              eq(audit.targetKind, "webhook"),
              gt(audit.id, after?.id ?? 0),
              sql`(json_typeof(${audit.detail} -> 'url') = 'string' or json_typeof(${audit.detail} -> 'error') = 'string')`,
            ),
          )
          .orderBy(asc(audit.id))
          .limit(BATCH),
      async (r) => {
        const detail = { ...r.detail };
        if (typeof detail.url === "string") detail.url = redactedUrl(detail.url);
        if (typeof detail.error === "string") detail.error = withoutUrls(detail.error, known.get(r.webhook));
        if (detail.url === r.detail?.url && detail.error === r.detail?.error) return false;
        await tx.update(audit).set({ detail }).where(eq(audit.id, r.id));
        return true;
      },
    );
    changed += await inBatches(
      (after: { id: number } | undefined) =>
        tx
          .select({
            id: webhookDeliveries.id,
            webhook: webhookDeliveries.webhookId,
            error: webhookDeliveries.lastError,
          })
          .from(webhookDeliveries)
          .where(and(isNotNull(webhookDeliveries.lastError), gt(webhookDeliveries.id, after?.id ?? 0)))
          .orderBy(asc(webhookDeliveries.id))
          .limit(BATCH),
      async (r) => {
        const error = withoutUrls(r.error ?? "", known.get(r.webhook));
        if (error === r.error) return false;
        await tx.update(webhookDeliveries).set({ lastError: error }).where(eq(webhookDeliveries.id, r.id));
        return true;
      },
    );
    return changed;
  });
}

/** An http(s) URL in free text: up to the first space or quote. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/gi;

/**
 * `message` with each of `urls` replaced as withoutUrl replaces it, and then any other http(s)
 * URL in it that has something to hide (a path, query, fragment or credentials) replaced by its
 * redactedUrl form. Never throws.
 */
function withoutUrls(message: string, urls: Iterable<string> = []): string {
  let out = message;
  for (const url of urls) out = withoutUrl(out, url);
  return out.replace(URL_IN_TEXT, (found) => {
    const shown = redactedUrl(found);
    return shown.endsWith(`/${REDACTED_URL_PART}`) ? shown : found;
  });
}

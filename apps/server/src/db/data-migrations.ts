import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import { inSchemaOrder } from "../services/document-order.js";
import { REDACTED_URL_PART, redactedUrl, withoutUrl } from "../services/webhook-targets.js";
import type { Db } from "./client.js";
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
}

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
  return db.transaction(async (tx) => {
    const [state] = await tx
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, DOCUMENT_ORDER_SETTING))
      .for("update");
    if (state?.value !== "pending") return 0;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
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

    await tx.update(settings).set({ value: "done" }).where(eq(settings.key, DOCUMENT_ORDER_SETTING));
    return changed;
  });
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
 * Redacts the webhook URLs/**
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
  return db.transaction(async (tx) => {
    const [state] = await tx
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, WEBHOOK_URLS_SETTING))
      .for("update");
    if (state?.value !== "pending") return 0;

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
    const audited = await tx
      .selectDistinct({ id: audit.targetName, url: sql<string>`${audit.detail} ->> 'url'` })
      .from(audit)
      .where(and(eq(audit.targetKind, "webhook"), sql`jsonb_typeof(${audit.detail} -> 'url') = 'string'`));
    for (const a of audited) learn(a.id, a.url);

    let changed = 0;
    for (let after = 0; ; ) {
      const rows = await tx
        .select({ id: audit.id, webhook: audit.targetName, detail: audit.detail })
        .from(audit)
        .where(
          and(
            eq(audit.targetKind, "webhook"),
            gt(audit.id, after),
            sql`(jsonb_typeof(${audit.detail} -> 'url') = 'string' or jsonb_typeof(${audit.detail} -> 'error') = 'string')`,
          ),
        )
        .orderBy(asc(audit.id))
        .limit(BATCH);
      for (const r of rows) {
        const detail = { ...r.detail };
        if (typeof detail.url === "string") detail.url = redactedUrl(detail.url);
        if (typeof detail.error === "string") detail.error = withoutUrls(detail.error, known.get(r.webhook));
        if (detail.url === r.detail?.url && detail.error === r.detail?.error) continue;
        await tx.update(audit).set({ detail }).where(eq(audit.id, r.id));
        changed++;
      }
      const last = rows.at(-1);
      if (rows.length < BATCH || !last) break;
      after = last.id;
    }

    for (let after = 0; ; ) {
      const rows = await tx
        .select({
          id: webhookDeliveries.id,
          webhook: webhookDeliveries.webhookId,
          error: webhookDeliveries.lastError,
        })
        .from(webhookDeliveries)
        .where(and(isNotNull(webhookDeliveries.lastError), gt(webhookDeliveries.id, after)))
        .orderBy(asc(webhookDeliveries.id))
        .limit(BATCH);
      for (const r of rows) {
        const error = withoutUrls(r.error ?? "", known.get(r.webhook));
        if (error === r.error) continue;
        await tx.update(webhookDeliveries).set({ lastError: error }).where(eq(webhookDeliveries.id, r.id));
        changed++;
      }
      const last = rows.at(-1);
      if (rows.length < BATCH || !last) break;
      after = last.id;
    }

    await tx.update(settings).set({ value: "done" }).where(eq(settings.key, WEBHOOK_URLS_SETTING));
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

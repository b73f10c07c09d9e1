import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { PolicyResource, PolicySource, PolicyVersion, ValidationResult } from "@celgate/contracts";
import {
  canonicalJson,
  compilePolicySet,
  type Diagnostic,
  type ExceptionDocument,
  type Located,
  type PolicyDocument,
  parseLabelSelector,
  parsePolicyDocuments,
  readsPolicyPath,
  skipsPolicyFolder,
} from "@celgate/core";
import { and, asc, desc, eq, lt, max, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { policies, policyVersions } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { describe, diagnosticErrors, isError, isSyntax } from "../lib/diagnostics.js";
import { problems } from "../lib/errors.js";
import { etagOf, ifMatchSatisfied } from "../lib/etag.js";
import type { Logger } from "../lib/logger.js";
import { writeAudit } from "./audit.js";
import { recordChange } from "./changes.js";
import { bumpGeneration, type PolicySetRuntime } from "./policy-set.js";

type Row = typeof policies.$inferSelect;
const REPOSITORY_LOCK = 4_227_303;

export function toPolicyResource(r: Row): PolicyResource {
  return {
    name: r.name,
    source: r.source as PolicySource,
    version: r.version,
    etag: r.etag,
    labels: r.labels,
    document: r.document as PolicyResource["document"],
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}

/**
 * Parses a request body that must hold exactly one document of `kind`. Throws 400 on syntax
 * errors and 422 on schema errors, every diagnostic with its line and column.
 */
export function parseSingleDocument(text: string, kind: "Policy"): PolicyDocument;
export function parseSingleDocument(text: string, kind: "PolicyException"): ExceptionDocument;
export function parseSingleDocument(
  text: string,
  kind: "Policy" | "PolicyException",
): PolicyDocument | ExceptionDocument {
  return parseSingle(text, kind).doc;
}

function parseSingle(text: string, kind: "Policy" | "PolicyException") {
  const parsed = parsePolicyDocuments(text);
  const errors = parsed.diagnostics.filter(isError);
  if (errors.length > 0) {
    const summary = errors.slice(0, 3).map(describe).join("; ");
    if (errors.some(isSyntax))
      throw problems.invalidBody(`malformed document: ${summary}`, diagnosticErrors(errors));
    throw problems.unprocessable(`the document is not a valid ${kind}: ${summary}`, diagnosticErrors(errors));
  }
  const docs = kind === "Policy" ? parsed.located.policies : parsed.located.exceptions;
  const total = parsed.policies.length + parsed.exceptions.length + parsed.tests.length;
  if (docs.length !== 1 || total !== 1)
    throw problems.invalidBody(`expected exactly one ${kind} document, got ${total} document(s)`);
  return docs[0]!;
}

/** Parses and compiles one Policy document of a request body; throws 400/422 with positions. */
function parsePolicyBody(text: string): PolicyDocument {
  const located = parseSingle(text, "Policy") as Located<PolicyDocument>;
  const { diagnostics } = compilePolicySet([located]);
  const errors = diagnostics.filter(isError);
  if (errors.length > 0)
    throw problems.unprocessable(
      `the policy does not compile: ${errors.slice(0, 3).map(describe).join("; ")}`,
      diagnosticErrors(errors),
    );
  return located.doc;
}

async function nextVersion(tx: Tx, name: string): Promise<number> {
  const [row] = await tx
    .select({ v: max(policyVersions.version) })
    .from(policyVersions)
    .where(eq(policyVersions.name, name));
  return (row?.v ?? 0) + 1;
}

const labelsOf = (doc: PolicyDocument): Record<string, string> => ({ ...(doc.metadata.labels ?? {}) });

/** Policies: create, read, replace (optimistic, If-Match), delete, versions, validate, repository sync. */
export class PolicyService {
  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
  ) {}

  async list(q: {
    select?: string | undefined;
    source?: PolicySource | undefined;
    limit: number;
    cursor?: string | undefined;
  }) {
    let matches: ((labels: Record<string, string>) => boolean) | undefined;
    if (q.select !== undefined) {
      const selector = parseLabelSelector(q.select);
      if (!selector.ok)
        throw problems.badRequest(`invalid label selector: ${selector.error}`, [
          { path: "select", message: selector.error },
        ]);
      matches = selector.matches;
    }
    const after = q.cursor ? decodeCursor(q.cursor, CURSORS.names).name : undefined;
    const rows = await this.db
      .select()
      .from(policies)
      .where(
        and(
          q.source ? eq(policies.source, q.source) : undefined,
          after ? sql`${policies.name} > ${after}` : undefined,
        ),
      )
      .orderBy(asc(policies.name));
    const filtered = matches ? rows.filter((r) => matches(r.labels)) : rows;
    const page = filtered.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(toPolicyResource),
      nextCursor: filtered.length > q.limit && last ? encodeCursor({ name: last.name }) : null,
    };
  }

  async get(name: string): Promise<PolicyResource> {
    const [row] = await this.db.select().from(policies).where(eq(policies.name, name));
    if (!row) throw problems.notFound(`no policy named ${name}`);
    return toPolicyResource(row);
  }

  async create(actor: string, text: string): Promise<PolicyResource> {
    const doc = parsePolicyBody(text);
    const name = doc.metadata.name;
    const row = await this.db.transaction(async (tx) => {
      const [existing] = await tx.select().from(policies).where(eq(policies.name, name)).for("update");
      if (existing)
        throw problems.conflict(
          existing.source === "repository"
            ? `policy ${name} comes from the policy repository (CELGATE_POLICY_DIR) and cannot be changed through the API`
            : `a policy named ${name} already exists; replace it with PUT /v1/policies/${name}`,
        );
      const version = await nextVersion(tx, name);
      const [inserted] = await tx
        .insert(policies)
        .values({
          name,
          source: "api",
          version,
          etag: etagOf(version),
          labels: labelsOf(doc),
          document: doc as never,
          updatedBy: actor,
        })
        .returning();
      await recordApiChange(tx, {
        name,
        version,
        change: "create",
        actor,
        document: doc,
        detail: { version },
      });
      return inserted!;
    });
    this.runtime.invalidate();
    return toPolicyResource(row);
  }

  async replace(
    actor: string,
    name: string,
    ifMatch: string | undefined,
    text: string,
  ): Promise<PolicyResource> {
    if (!ifMatch)
      throw problems.preconditionRequired("send If-Match with the ETag of the version you are replacing");
    const doc = parsePolicyBody(text);
    if (doc.metadata.name !== name)
      throw problems.invalidBody(
        `metadata.name (${doc.metadata.name}) differs from the name in the path (${name})`,
        [{ path: "metadata.name", message: "must equal the name in the path" }],
      );
    const row = await this.db.transaction(async (tx) => {
      const current = await this.#lockForChange(tx, name, ifMatch);
      const version = await nextVersion(tx, name);
      // The etag condition makes the update itself the arbiter between concurrent writers.
      const [updated] = await tx
        .update(policies)
        .set({
          version,
          etag: etagOf(version),
          labels: labelsOf(doc),
          document: doc as never,
          updatedAt: new Date(),
          updatedBy: actor,
        })
        .where(and(eq(policies.name, name), eq(policies.etag, current.etag)))
        .returning();
      if (!updated)
        throw problems.preconditionFailed(`policy ${name} was changed concurrently; read it again`);
      await recordApiChange(tx, {
        name,
        version,
        change: "update",
        actor,
        document: doc,
        detail: { version, previous: current.version },
      });
      return updated;
    });
    this.runtime.invalidate();
    return toPolicyResource(row);
  }

  async remove(actor: string, name: string, ifMatch: string | undefined): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await this.#lockForChange(tx, name, ifMatch);
      const version = await nextVersion(tx, name);
      const deleted = await tx
        .delete(policies)
        .where(and(eq(policies.name, name), eq(policies.etag, current.etag)))
        .returning();
      if (deleted.length === 0)
        throw problems.preconditionFailed(`policy ${name} was changed concurrently; read it again`);
      await recordApiChange(tx, {
        name,
        version,
        change: "delete",
        actor,
        document: null,
        detail: { version: current.version },
      });
    });
    this.runtime.invalidate();
  }

  async #lockForChange(tx: Tx, name: string, ifMatch: string | undefined): Promise<Row> {
    const [current] = await tx.select().from(policies).where(eq(policies.name, name)).for("update");
    if (!current) throw problems.notFound(`no policy named ${name}`);
    if (current.source === "repository")
      throw problems.conflict(
        `policy ${name} comes from the policy repository (CELGATE_POLICY_DIR); change it there, not through the API`,
      );
    if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, current.etag))
      throw problems.preconditionFailed(
        `If-Match ${ifMatch} does not match the current ETag ${current.etag}`,
      );
    return current;
  }

  async versions(name: string, limit: number, cursor?: string) {
    const before = cursor ? decodeCursor(cursor, CURSORS.versions).v : undefined;
    const rows = await this.db
      .select()
      .from(policyVersions)
      .where(and(eq(policyVersions.name, name), before ? lt(policyVersions.version, before) : undefined))
      .orderBy(desc(policyVersions.version))
      .limit(limit + 1);
    if (rows.length === 0 && !cursor) throw problems.notFound(`no policy named ${name} was ever stored`);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toVersion),
      nextCursor: rows.length > limit && last ? encodeCursor({ v: last.version }) : null,
    };
  }

  async version(name: string, version: number): Promise<PolicyVersion> {
    const [row] = await this.db
      .select()
      .from(policyVersions)
      .where(and(eq(policyVersions.name, name), eq(policyVersions.version, version)));
    if (!row) throw problems.notFound(`policy ${name} has no version ${version}`);
    return toVersion(row);
  }

  /** Compiles documents without saving anything. Never throws for invalid documents. */
  validate(text: string): ValidationResult {
    const parsed = parsePolicyDocuments(text);
    const { set, diagnostics } = compilePolicySet(parsed.located.policies);
    const all: Diagnostic[] = [...parsed.diagnostics, ...diagnostics];
    const compiled = new Set(set.policies.map((p) => p.name));
    return {
      valid: !all.some(isError),
      policies: parsed.policies.map((p) => ({ name: p.metadata.name, valid: compiled.has(p.metadata.name) })),
      diagnostics: all.map((d) => ({
        code: d.code,
        message: d.message,
        ...(d.path === undefined ? {} : { path: d.path }),
        ...(d.line === undefined ? {} : { line: d.line }),
        ...(d.column === undefined ? {} : { column: d.column }),
        ...(d.sourceLine === undefined ? {} : { sourceLine: d.sourceLine }),
        ...(d.severity === undefined ? {} : { severity: d.severity }),
      })),
    };
  }

  /**
   * Loads the policy repository (CELGATE_POLICY_DIR) as source `repository`: new or changed
   * policies are stored as a new version, ones gone from the folder are deleted, policies that
   * do not compile are logged and left out. Replicas may run this together (advisory lock).
   */
  async syncRepository(
    dir: string,
    logger: Logger,
  ): Promise<{ loaded: number; changed: number; invalid: number }> {
    const files = await listYamlFiles(dir);
    const docs = new Map<string, PolicyDocument>();
    let invalid = 0;
    let firstError: string | undefined;
    for (const file of files) {
      const text = await readFile(file, "utf8");
      const rel = relative(dir, file);
      const parsed = parsePolicyDocuments(text, rel);
      const { set, diagnostics } = compilePolicySet(parsed.located.policies);
      const errors = [...parsed.diagnostics, ...diagnostics].filter(isError);
      for (const d of errors) logger.error({ file: rel, diagnostic: d }, "policy file has errors");
      invalid += errors.length;
      firstError ??= errors[0] ? `${rel}: ${describe(errors[0])}` : undefined;
      for (const p of set.policies) {
        if (docs.has(p.name))
          logger.error(
            { file: rel, policy: p.name },
            "duplicate policy name in the repository; first one kept",
          );
        else docs.set(p.name, p.document);
      }
    }
    // Fail closed: a repository that does not load whole is not loaded at all, so the service
    // never starts deciding with fewer policies than the repository holds.
    if (invalid > 0)
      throw new RepositoryError(
        `the policy repository ${dir} has ${invalid} error(s), the first: ${firstError}; fix them (celgate validate ${dir}) and start again`,
      );
    const actor = "repository";
    const changed = await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REPOSITORY_LOCK})`);
      const existing = new Map((await tx.select().from(policies)).map((r) => [r.name, r]));
      let n = 0;
      for (const [name, doc] of docs) {
        const row = existing.get(name);
        if (row && row.source === "repository" && canonicalJson(row.document) === canonicalJson(doc))
          continue;
        if (row && row.source === "api")
          logger.warn({ policy: name }, "repository policy replaces the API policy of the same name");
        const version = await nextVersion(tx, name);
        const values = {
          source: "repository",
          version,
          etag: etagOf(version),
          labels: labelsOf(doc),
          document: doc as never,
          updatedAt: new Date(),
          updatedBy: actor,
        };
        await tx
          .insert(policies)
          .values({ name, ...values })
          .onConflictDoUpdate({ target: policies.name, set: values });
        const change = row ? "update" : "create";
        await tx
          .insert(policyVersions)
          .values({ name, version, change, source: "repository", actor, document: doc as never });
        await writeAudit(tx, {
          actor,
          action: `policy.${change}`,
          targetKind: "policy",
          targetName: name,
          detail: { version, source: "repository" },
        });
        await recordChange(tx, { cause: "policy-change", subject: name, detail: { version } });
        n++;
      }
      for (const [name, row] of existing) {
        if (row.source !== "repository" || docs.has(name)) continue;
        const version = await nextVersion(tx, name);
        await tx.delete(policies).where(eq(policies.name, name));
        await tx
          .insert(policyVersions)
          .values({ name, version, change: "delete", source: "repository", actor, document: null });
        await writeAudit(tx, {
          actor,
          action: "policy.delete",
          targetKind: "policy",
          targetName: name,
          detail: { version, source: "repository" },
        });
        await recordChange(tx, { cause: "policy-change", subject: name, detail: { version } });
        n++;
      }
      if (n > 0) await bumpGeneration(tx);
      return n;
    });
    this.runtime.invalidate();
    return { loaded: docs.size, changed, invalid };
  }
}

/** The policy repository cannot be loaded whole; the service does not start on it. */
export class RepositoryError extends Error {
  override name = "RepositoryError";
}

function toVersion(r: typeof policyVersions.$inferSelect): PolicyVersion {
  return {
    name: r.name,
    version: r.version,
    change: r.change as PolicyVersion["change"],
    source: r.source as PolicySource,
    actor: r.actor,
    at: r.at.toISOString(),
    document: (r.document as PolicyVersion["document"]) ?? null,
  };
}

/**
 * The files of the policy repository that hold policies, in name order: the CLI's set
 * (`classifyPolicyPath` in core decides), without test files. An absent folder holds none.
 */
async function listYamlFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    // which files hold policies is the engine's decision, the same as the CLI's; tests are not read
    if (e.isDirectory()) {
      if (!skipsPolicyFolder(e.name)) out.push(...(await listYamlFiles(path, root)));
    } else if (e.isFile() && readsPolicyPath(relative(root, path), { tests: false })) out.push(path);
  }
  return out;
}

/**
 * What every API change of a policy writes in its transaction: the version row, the audit
 * row, and a new generation so that every replica reloads the policy set.
 */
async function recordApiChange(
  tx: Tx,
  change: {
    name: string;
    version: number;
    change: "create" | "update" | "delete";
    actor: string;
    document: unknown;
    detail: Record<string, unknown>;
  },
): Promise<void> {
  await tx.insert(policyVersions).values({
    name: change.name,
    version: change.version,
    change: change.change,
    source: "api",
    actor: change.actor,
    document: change.document as never,
  });
  await writeAudit(tx, {
    actor: change.actor,
    action: `policy.${change.change}`,
    targetKind: "policy",
    targetName: change.name,
    detail: change.detail,
  });
  await recordChange(tx, {
    cause: "policy-change",
    subject: change.name,
    detail: { version: change.version },
  });
  await bumpGeneration(tx);
}

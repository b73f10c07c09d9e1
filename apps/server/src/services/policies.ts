import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { PolicyResource, PolicySource, PolicyVersion, ValidationResult } from "@celgate/contracts";
import {
  canonicalJson,
  compilePolicySet,
  type Diagnostic,
  type ExceptionDocument,
  exceptionSchema,
  formatPath,
  type Located,
  type PolicyDocument,
  parseLabelSelector,
  parsePolicyDocuments,
  policySchema,
  readsPolicyPath,
  type SourceDocument,
  skipsPolicyFolder,
} from "@celgate/core";
import { and, asc, desc, eq, lt, max, sql } from "drizzle-orm";
import type { z } from "zod";
import { advisoryXactLock, type Db, LOCKS, type Tx } from "../db/client.js";
import { policies, policyVersions } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { describe, diagnosticErrors, isError, isSyntax, wireDiagnostic } from "../lib/diagnostics.js";
import { etagOf } from "../lib/etag.js";
import { findProtoKey, locateProtoKey, PROTO_KEY } from "../lib/json.js";
import type { Logger } from "../lib/logger.js";
import { writeAudit } from "./audit.js";
import { recordChange } from "./changes.js";
import { inAuthorOrder, inOrderOf } from "./document-order.js";
import { refuse } from "./errors.js";
import { bumpGeneration, type PolicySetRuntime } from "./policy-set.js";
import { type VersionedResource, VersionedStore } from "./versioned.js";

type Row = typeof policies.$inferSelect;

export function toPolicyResource(r: Row): PolicyResource {
  return {
    name: r.name,
    source: r.source,
    version: r.version,
    etag: r.etag,
    labels: r.labels,
    document: r.document,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}

/**
 * A request body that holds one document, as the route read it: its text, and what the route
 * already parsed of it, so that it is not parsed again (lib/validate.ts bodyValidator).
 */
export interface DocumentBody {
  text: string;
  /** A JSON body's value (its keys in the order written). */
  json?: unknown;
  /** A YAML body's one document, parsed with the positions of its nodes. */
  document?: SourceDocument;
}

/**
 * Parses a request body that must hold exactly one document of `kind`. Throws 400 on syntax
 * errors and 422 on schema errors, every diagnostic with its line and column.
 */
export function parseSingleDocument(body: DocumentBody, kind: "Policy"): PolicyDocument;
export function parseSingleDocument(body: DocumentBody, kind: "PolicyException"): ExceptionDocument;
export function parseSingleDocument(
  body: DocumentBody,
  kind: "Policy" | "PolicyException",
): PolicyDocument | ExceptionDocument {
  return kind === "Policy" ? parseSingle(body, kind).doc : parseSingle(body, kind).doc;
}

function parseSingle(body: DocumentBody, kind: "Policy"): Located<PolicyDocument>;
function parseSingle(body: DocumentBody, kind: "PolicyException"): Located<ExceptionDocument>;
function parseSingle(
  body: DocumentBody,
  kind: "Policy" | "PolicyException",
): Located<PolicyDocument> | Located<ExceptionDocument> {
  const { text, document } = body;
  refuseProtoKey(body, kind);
  // The route parsed the YAML (one document, with positions): the engine's schema reads that
  // value, as parsePolicyDocuments reads each document, without parsing the text again. The
  // text is parsed again below only to explain a refusal with the engine's diagnostics.
  const read = document
    ? kind === "Policy"
      ? readParsed(policySchema, document)
      : readParsed(exceptionSchema, document)
    : undefined;
  if (read) return read;
  const parsed = parsePolicyDocuments(text);
  const errors = parsed.diagnostics.filter(isError);
  if (errors.length > 0) {
    const summary = errors.slice(0, 3).map(describe).join("; ");
    if (errors.some(isSyntax))
      throw refuse("malformed-input", `malformed document: ${summary}`, diagnosticErrors(errors));
    throw refuse(
      "invalid-input",
      `the document is not a valid ${kind}: ${summary}`,
      diagnosticErrors(errors),
    );
  }
  const total = parsed.policies.length + parsed.exceptions.length + parsed.tests.length;
  const docs: readonly (Located<PolicyDocument> | Located<ExceptionDocument>)[] =
    kind === "Policy" ? parsed.located.policies : parsed.located.exceptions;
  const [doc] = docs;
  if (!doc || docs.length !== 1 || total !== 1)
    throw refuse("malformed-input", `expected exactly one ${kind} document, got ${total} document(s)`);
  // stored and answered with its keys as the author wrote them: as the route read them (a JSON
  // body's value), or as the text has them
  if (body.json !== undefined) return inOrderOfValue(doc, body.json);
  const [ordered] = inAuthorOrder(text, undefined, [doc]);
  return ordered ?? doc;
}

/**
 * Refuses (422) a document with a `__proto__` key anywhere, naming its path, line and column:
 * the engine's schema would drop it from a map (labels, annotations, params) without a word.
 */
function refuseProtoKey(body: DocumentBody, kind: "Policy" | "PolicyException"): void {
  const value = body.document ? body.document.value : body.json;
  const path = findProtoKey(value);
  if (!path) return;
  const at = body.document ? body.document.position(path, "key") : locateProtoKey(body.text);
  const message = `a key named ${PROTO_KEY} is not accepted in a ${kind}`;
  const where = at ? ` (line ${at.line}, column ${at.column})` : "";
  throw refuse("invalid-input", `${formatPath(path)}: ${message}${where}`, [
    {
      path: formatPath(path),
      message,
      code: "proto-key",
      ...(at ? { line: at.line, column: at.column } : {}),
    },
  ]);
}

/**
 * The document `source` as the engine's `schema` reads it, with its keys in the order written
 * and its origin (positions) as parsePolicyDocuments gives them; undefined when the schema
 * refuses it. Never throws.
 */
function readParsed<D>(schema: z.ZodType<D>, source: SourceDocument): Located<D> | undefined {
  const read = schema.safeParse(source.value);
  if (!read.success) return undefined;
  return {
    // stored and answered with its keys as the author wrote them
    doc: inOrderOf(read.data, source.value),
    origin: { document: source.index, position: source.position },
  };
}

/** `located` with its document's keys in the order of `order` (inOrderOf). */
const inOrderOfValue = <L extends Located<unknown>>(located: L, order: unknown): L => ({
  ...located,
  doc: inOrderOf(located.doc, order),
});

/** The document of a replacement must be the one the path names (400 naming metadata.name). */
export function checkPathName(doc: { metadata: { name: string } }, name: string): void {
  if (doc.metadata.name !== name)
    throw refuse(
      "malformed-input",
      `metadata.name (${doc.metadata.name}) differs from the name in the path (${name})`,
      [{ path: "metadata.name", message: "must equal the name in the path" }],
    );
}

/** Parses and compiles one Policy document of a request body; throws 400/422 with positions. */
function parsePolicyBody(body: DocumentBody): PolicyDocument {
  const located = parseSingle(body, "Policy");
  const { diagnostics } = compilePolicySet([located]);
  const errors = diagnostics.filter(isError);
  if (errors.length > 0)
    throw refuse(
      "invalid-input",
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
  readonly #store: VersionedStore<Row, PolicyDocument>;
  #repositoryDir: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
  ) {
    this.#store = new VersionedStore(db, runtime, POLICY_RESOURCE);
  }

  /** The policy repository folder last loaded by syncRepository; undefined before. */
  get repositoryDir(): string | undefined {
    return this.#repositoryDir;
  }

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
        throw refuse("invalid-argument", `invalid label selector: ${selector.error}`, [
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
    if (!row) throw refuse("not-found", `no policy named ${name}`);
    return toPolicyResource(row);
  }

  async create(actor: string, body: DocumentBody): Promise<PolicyResource> {
    const doc = parsePolicyBody(body);
    return toPolicyResource(await this.#store.create(actor, doc.metadata.name, doc));
  }

  /** Replaces a policy: 428 without If-Match, then the body is read (400/422), then 404/409/412. */
  async replace(
    actor: string,
    name: string,
    ifMatch: string | undefined,
    body: DocumentBody,
  ): Promise<PolicyResource> {
    const row = await this.#store.replace(actor, name, ifMatch, () => {
      const doc = parsePolicyBody(body);
      checkPathName(doc, name);
      return doc;
    });
    return toPolicyResource(row);
  }

  async remove(actor: string, name: string, ifMatch: string | undefined): Promise<void> {
    await this.#store.remove(actor, name, ifMatch);
  }

  async versions(name: string, limit: number, cursor?: string) {
    const before = cursor ? decodeCursor(cursor, CURSORS.versions).v : undefined;
    const rows = await this.db
      .select()
      .from(policyVersions)
      .where(and(eq(policyVersions.name, name), before ? lt(policyVersions.version, before) : undefined))
      .orderBy(desc(policyVersions.version))
      .limit(limit + 1);
    if (rows.length === 0 && !cursor) throw refuse("not-found", `no policy named ${name} was ever stored`);
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
    if (!row) throw refuse("not-found", `policy ${name} has no version ${version}`);
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
      diagnostics: all.map(wireDiagnostic),
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
    // A folder that is not there (a typo, a volume not mounted) is a mistake, not an empty
    // repository: read as one, it would delete every repository policy from the set in force.
    const folder = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
    if (folder instanceof Error || !folder.isDirectory())
      throw new RepositoryError(
        `CELGATE_POLICY_DIR: the policy repository ${dir} ${folder instanceof Error ? `cannot be read (${folder.code ?? folder.message})` : "is not a folder"}; point it at the policies' folder (an empty folder for policies made through the API only) and start again`,
      );
    const files = await listPolicyFiles(dir, { tests: false });
    const docs = new Map<string, PolicyDocument>();
    let invalid = 0;
    let firstError: string | undefined;
    for (const file of files) {
      const text = await readFile(file, "utf8");
      const rel = relative(dir, file);
      const parsed = parsePolicyDocuments(text, rel);
      // stored and answered with their keys as the file has them
      const { set, diagnostics } = compilePolicySet(inAuthorOrder(text, rel, parsed.located.policies));
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
      await advisoryXactLock(tx, LOCKS.repository);
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
          document: doc,
          updatedAt: new Date(),
          updatedBy: actor,
        } satisfies Partial<typeof policies.$inferInsert>;
        await tx
          .insert(policies)
          .values({ name, ...values })
          .onConflictDoUpdate({ target: policies.name, set: values });
        const change = row ? "update" : "create";
        await tx
          .insert(policyVersions)
          .values({ name, version, change, source: "repository", actor, document: doc });
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
    this.#repositoryDir = dir;
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
    change: r.change,
    source: r.source,
    actor: r.actor,
    at: r.at.toISOString(),
    document: r.document,
  };
}

/** A symbolic link in the policy repository that the walk cannot follow where it would read. */
export interface UnfollowedLink {
  /** The link's path. */
  path: string;
  /** Why: it leads to nothing readable, or to a folder outside the repository. */
  problem: "nowhere" | "folder-outside";
}

/**
 * The files of the policy repository that hold documents, in name order: the CLI's set
 * (`classifyPolicyPath` in core decides), with test files or (to load policies) without. An
 * absent folder holds none. Symbolic links are followed as `celgate` follows them (a
 * Kubernetes ConfigMap volume is a folder of links): a link to a file is read where a file of
 * its name would be; a link to a folder inside the repository is walked (each real folder once);
 * a link that leads nowhere where a file would be read, or to a folder outside the repository,
 * is not followed and is collected in `options.links` (a caller that passes none gets a
 * RepositoryError instead: what the repository holds must not be missed unsaid).
 */
export async function listPolicyFiles(
  dir: string,
  options: { tests: boolean; links?: UnfollowedLink[] },
): Promise<string[]> {
  const out: string[] = [];
  const root = await realpath(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (root === undefined) return out;
  const inside = (real: string) =>
    real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
  const unfollowed = (link: UnfollowedLink) => {
    if (options.links) return options.links.push(link);
    throw new RepositoryError(
      `the policy repository ${dir}: ${relative(dir, link.path)} is a symbolic link ${link.problem === "nowhere" ? "to nothing readable" : "to a folder outside the repository"}; put the ${link.problem === "nowhere" ? "file" : "folder"} itself in the repository`,
    );
  };
  const walked = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const e of entries) {
      const path = join(folder, e.name);
      let isDirectory = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        if (target === undefined) {
          if (readsPolicyPath(relative(dir, path), options)) unfollowed({ path, problem: "nowhere" });
          continue;
        }
        isDirectory = target.isDirectory();
        isFile = target.isFile();
        if (isDirectory && !skipsPolicyFolder(e.name) && !inside(await realpath(path))) {
          unfollowed({ path, problem: "folder-outside" });
          continue;
        }
      }
      // which files hold documents is the engine's decision, the same as the CLI's
      if (isDirectory) {
        if (!skipsPolicyFolder(e.name)) await walk(path);
      } else if (isFile && readsPolicyPath(relative(dir, path), options)) out.push(path);
    }
  };
  await walk(dir);
  return out;
}

/** How policies are stored: versions continue across deletions, each change keeps its version row. */
export const POLICY_RESOURCE: VersionedResource<Row, PolicyDocument> = {
  kind: "policy",
  lock: async (tx, name) =>
    (await tx.select().from(policies).where(eq(policies.name, name)).for("update"))[0],
  readOnly: (row) =>
    row.source === "repository"
      ? refuse(
          "conflict",
          `policy ${row.name} comes from the policy repository (CELGATE_POLICY_DIR); change it there, not through the API`,
        )
      : undefined,
  exists: (row) =>
    refuse(
      "already-exists",
      row.source === "repository"
        ? `policy ${row.name} comes from the policy repository (CELGATE_POLICY_DIR) and cannot be changed through the API`
        : `a policy named ${row.name} already exists; replace it with PUT /v1/policies/${row.name}`,
    ),
  nextVersion: (tx, name) => nextVersion(tx, name),
  insert: async (tx, { name, version, doc, actor }) =>
    (
      await tx
        .insert(policies)
        .values({
          name,
          source: "api",
          version,
          etag: etagOf(version),
          labels: labelsOf(doc),
          document: doc,
          updatedBy: actor,
        })
        .onConflictDoNothing({ target: policies.name })
        .returning()
    )[0],
  update: async (tx, current, { version, doc, actor }) =>
    (
      await tx
        .update(policies)
        .set({
          version,
          etag: etagOf(version),
          labels: labelsOf(doc),
          document: doc,
          updatedAt: new Date(),
          updatedBy: actor,
        })
        .where(and(eq(policies.name, current.name), eq(policies.etag, current.etag)))
        .returning()
    )[0],
  delete: async (tx, current) =>
    (
      await tx
        .delete(policies)
        .where(and(eq(policies.name, current.name), eq(policies.etag, current.etag)))
        .returning({ name: policies.name })
    ).length > 0,
  history: async (tx, { name, version, change, actor, doc }) => {
    await tx.insert(policyVersions).values({ name, version, change, source: "api", actor, document: doc });
    // inventory entries the policy matches are re-evaluated in the background (services/changes.ts)
    await recordChange(tx, { cause: "policy-change", subject: name, detail: { version } });
  },
  auditDetail: ({ change, version, current }) =>
    change === "create"
      ? { version }
      : change === "update"
        ? { version, previous: current?.version }
        : { version: current?.version },
};

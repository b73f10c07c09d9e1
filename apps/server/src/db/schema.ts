// The one schema of the service. drizzle-kit generates the migrations in ../../drizzle from it
// (`pnpm --filter @celgate/server db:generate`); they are applied at start on PGlite and PostgreSQL.

//
// Columns are typed by what they hold: a jsonb column carries its document type (`$type`, from
// the engine's or the wire model's types), a closed set is a PostgreSQL enum made from the
// contracts' zod enum, so a row read back needs no cast and the database refuses a value
// outside the set.
import {
  AUDIT_TARGET_KINDS,
  DECISIONS,
  EVALUATION_SOURCES,
  type ManifestFile,
  POLICY_CHANGES,
  POLICY_SOURCES,
  ROLES,
} from "@celgate/contracts";
import type { EvaluationReport, ExceptionDocument, ImageFacts, PolicyDocument } from "@celgate/core";
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  index,
  integer,
  json,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const roleEnum = pgEnum("role", ROLES);
export const policySourceEnum = pgEnum("policy_source", POLICY_SOURCES);
export const policyChangeEnum = pgEnum("policy_change", POLICY_CHANGES);
export const evaluationSourceEnum = pgEnum("evaluation_source", EVALUATION_SOURCES);
export const decisionEnum = pgEnum("decision", DECISIONS);
export const auditTargetKindEnum = pgEnum("audit_target_kind", AUDIT_TARGET_KINDS);

/** What an `inputs` row holds (see `inputs`). */
export const INPUT_KINDS = ["manifests", "manifest-files", "resources", "images"] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
export const inputKindEnum = pgEnum("input_kind", INPUT_KINDS);

/** The `data` of an `inputs` row, by kind: manifest files, resource objects, or image facts. */
export type InputData = ManifestFile[] | unknown[] | ImageFacts[];

/** Where an evaluation's resources are, for the kind/namespace/name filters of the history. */
export interface ResourceTerm {
  kind: string;
  namespace?: string;
  name: string;
}

export const tokens = pgTable("tokens", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  role: roleEnum("role").notNull(),
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: text("hash").notNull().unique(),
  createdAt: ts("created_at").notNull().defaultNow(),
  createdBy: text("created_by").notNull(),
  expiresAt: ts("expires_at"),
  lastUsedAt: ts("last_used_at"),
  revokedAt: ts("revoked_at"),
});

/*
 * Policy and exception documents (and the labels copied from them) are `json`, which keeps the
 * text stored: handed back with their keys in the order their author wrote them (stored so by
 * services/document-order.ts), where `jsonb` hands back an order of its own (migration 0010).
 * A query that looks inside one casts the part it reads to jsonb.
 */

export const policies = pgTable("policies", {
  name: text("name").primaryKey(),
  source: policySourceEnum("source").notNull(),
  version: integer("version").notNull(),
  etag: text("etag").notNull(),
  labels: json("labels").$type<Record<string, string>>().notNull(),
  document: json("document").$type<PolicyDocument>().notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
});

export const policyVersions = pgTable(
  "policy_versions",
  {
    name: text("name").notNull(),
    version: integer("version").notNull(),
    change: policyChangeEnum("change").notNull(),
    source: policySourceEnum("source").notNull(),
    actor: text("actor").notNull(),
    at: ts("at").notNull().defaultNow(),
    /** Null for a deletion. */
    document: json("document").$type<PolicyDocument>(),
  },
  (t) => [primaryKey({ columns: [t.name, t.version] })],
);

export const exceptions = pgTable("exceptions", {
  name: text("name").primaryKey(),
  version: integer("version").notNull(),
  etag: text("etag").notNull(),
  expires: ts("expires").notNull(),
  document: json("document").$type<ExceptionDocument>().notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
});

export const images = pgTable(
  "images",
  {
    digest: text("digest").primaryKey(),
    /** `registry/repository:tag` of the facts, normalised, so tag-only references find them too. */
    nameTag: text("name_tag"),
    facts: jsonb("facts").$type<ImageFacts>().notNull(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("images_name_tag").on(t.nameTag)],
);

/** Evaluation inputs, stored once per content hash and shared by every evaluation that used them. */
export const inputs = pgTable("inputs", {
  hash: text("hash").primaryKey(),
  /** manifests (YAML/JSON text in `text`) | manifest-files ([{file, text}] in `data`) | resources (objects in `data`) | images (facts in `data`). */
  kind: inputKindEnum("kind").notNull(),
  text: text("text"),
  data: jsonb("data").$type<InputData>(),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const evaluations = pgTable(
  "evaluations",
  {
    id: text("id").primaryKey(),
    /** Insertion order, for cursor pagination. */
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    recordedAt: ts("recorded_at").notNull().defaultNow(),
    evaluatedAt: ts("evaluated_at").notNull(),
    actor: text("actor").notNull(),
    tokenId: text("token_id").notNull(),
    source: evaluationSourceEnum("source").notNull(),
    context: jsonb("context").$type<Record<string, unknown>>().notNull(),
    params: jsonb("params").$type<Record<string, Record<string, unknown>>>(),
    selector: text("selector"),
    policyNames: jsonb("policy_names").$type<string[]>(),
    policySetDigest: text("policy_set_digest").notNull(),
    policyCount: integer("policy_count").notNull(),
    /** name -> version of every policy in the set used; stored as given (json), never queried. */
    policyVersions: json("policy_versions").$type<Record<string, number>>().notNull(),
    decision: decisionEnum("decision").notNull(),
    summary: jsonb("summary").$type<EvaluationReport["summary"]>().notNull(),
    /**
     * The report exactly as returned: `json` keeps its text as written (key order included)
     * and costs the database no conversion on insert, where `jsonb` parsed and rebuilt the
     * largest value of the row (migration 0008). No query looks inside it but `-> 'receipt'`.
     * Compressed with lz4 (migrations 0007 and 0008), not pglz, as every other value of the row.
     */
    report: json("report").$type<EvaluationReport>().notNull(),
    inputHash: text("input_hash").notNull(),
    imagesHash: text("images_hash"),
    /** [{kind, namespace, name}] of every resource evaluated: the kind/namespace/name filters. */
    resources: jsonb("resources").$type<ResourceTerm[]>().notNull(),
    /** Image references and digests seen: the image filter. */
    images: text("images").array().notNull(),
    /** Policies with a non-skip result: the policy filter. */
    policies: text("policies").array().notNull(),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
  },
  (t) => [
    uniqueIndex("evaluations_idempotency").on(t.tokenId, t.idempotencyKey),
    index("evaluations_recorded_at").on(t.recordedAt),
    // Retention looks up whether any evaluation still refers to an input.
    index("evaluations_input_hash").on(t.inputHash),
    index("evaluations_images_hash").on(t.imagesHash),
    // The kind/namespace/name filter asks only `resources @> [...]`: jsonb_path_ops answers
    // containment with a smaller index that costs less to keep up on every insert.
    index("evaluations_resources").using("gin", t.resources.op("jsonb_path_ops")),
    index("evaluations_images").using("gin", t.images),
    index("evaluations_policies").using("gin", t.policies),
    // No index on `context`: its filter (`context ->> key = value`) is one no GIN index answers.
  ],
);

export const audit = pgTable(
  "audit",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: ts("at").notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetKind: auditTargetKindEnum("target_kind").notNull(),
    targetName: text("target_name").notNull(),
    /**
     * What the change was; `json`, kept as written (migration 0011), as the documents are: an
     * exception's deletion carries the deleted document in its author's key order. A query that
     * looks inside it casts the part it reads to jsonb.
     */
    detail: json("detail").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_target").on(t.targetKind, t.targetName)],
);

/** Counters shared by replicas; `policy_generation` grows with every policy or exception change. */
export const state = pgTable("state", {
  key: text("key").primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});

/** Installation-wide secrets made at first start (the redaction key); never returned by any route. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
});

// --- signed decision receipts (issue 14, docs/receipts.md) ---

/**
 * The Ed25519 keys decision receipts are signed with. A key is never deleted: after a rotation
 * its public key stays published (`GET /v1/keys`) so receipts it signed still verify.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    /** The RFC 7638 JWK thumbprint of the public key (SHA-256, base64url). */
    kid: text("kid").primaryKey(),
    /** The raw public key, base64url (the JWK's `x`). */
    publicKey: text("public_key").notNull(),
    /** PKCS#8 PEM of a key the service generated; null for a key from CELGATE_SIGNING_KEY (never stored). */
    privateKey: text("private_key"),
    /** generated (made and kept by the service) | file (CELGATE_SIGNING_KEY). */
    source: text("source").$type<"generated" | "file">().notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    /** When a newer generated key took over; null for the generated key in use. */
    retiredAt: ts("retired_at"),
  },
  // at most one generated key in use: replicas starting together generate one between them
  (t) => [
    uniqueIndex("signing_keys_current").on(t.source).where(sql`retired_at is null and source = 'generated'`),
  ],
);

// --- Continuous re-evaluation (issue 15): inventory, changes, findings, webhooks ---

/**
 * What is deployed: the latest admitted object per (cluster, namespace, kind, name), from
 * admission reviews and from evaluations that state `context.cluster` and `context.deployed`.
 * `namespace` is "" for cluster-scoped kinds. The object is stored redacted.
 */
export const inventory = pgTable(
  "inventory",
  {
    cluster: text("cluster").notNull(),
    namespace: text("namespace").notNull(),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    apiVersion: text("api_version").notNull(),
    /** The object as admitted, with secret values redacted. */
    object: jsonb("object").$type<Record<string, unknown>>().notNull(),
    /** The admission request it came with (operation, user, ...); null for evaluations. */
    request: jsonb("request").$type<Record<string, unknown>>(),
    context: jsonb("context").$type<Record<string, unknown>>().notNull(),
    /** Image keys: every digest, and the normalised `registry/repository:tag` of every reference. */
    images: text("images").array().notNull(),
    /** admission | evaluation */
    source: text("source").notNull(),
    evaluationId: text("evaluation_id"),
    /** Policies failing (fail or error) at the last evaluation: the baseline findings are judged against. */
    failing: jsonb("failing").$type<string[]>().notNull(),
    /** Grows with every write: a re-evaluation only stores its verdict over the revision it read. */
    revision: integer("revision").notNull().default(1),
    recordedAt: ts("recorded_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    evaluatedAt: ts("evaluated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.cluster, t.namespace, t.kind, t.name] }),
    index("inventory_images").using("gin", t.images),
    index("inventory_kind").on(t.kind),
  ],
);

/**
 * Changes that call for a re-evaluation (a scan, a policy, an exception, an expiry), queued in
 * the transaction of the change and claimed by one replica at a time (FOR UPDATE SKIP LOCKED,
 * with a lease that a crashed replica's successor takes over).
 */
export const reevaluationChanges = pgTable(
  "reevaluation_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** new-scan | policy-change | exception-change | exception-expired */
    cause: text("cause").notNull(),
    /** The image key, policy name or exception name. */
    subject: text("subject").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull(),
    /** Set for changes found by a scan (exception expiry), so that replicas queue each once. */
    dedupe: text("dedupe").unique(),
    createdAt: ts("created_at").notNull().defaultNow(),
    claimedBy: text("claimed_by"),
    claimedUntil: ts("claimed_until"),
    attempts: integer("attempts").notNull().default(0),
    doneAt: ts("done_at"),
    /** Inventory entries re-evaluated. */
    entries: integer("entries"),
    error: text("error"),
  },
  (t) => [index("reevaluation_changes_pending").on(t.doneAt, t.id)],
);

/** A deployed object that a re-evaluation found failing a policy it passed before. */
export const findings = pgTable(
  "findings",
  {
    id: text("id").primaryKey(),
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    cluster: text("cluster").notNull(),
    namespace: text("namespace").notNull(),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    policy: text("policy").notNull(),
    policyVersion: integer("policy_version"),
    severity: text("severity").notNull(),
    action: text("action").notNull(),
    message: text("message").notNull(),
    /** new-scan | policy-change | exception-change | exception-expired */
    cause: text("cause").notNull(),
    /** The triggering fact: the image and its vulnerability ids, the policy version, the exception. */
    trigger: jsonb("trigger").$type<Record<string, unknown>>().notNull(),
    changeId: bigint("change_id", { mode: "number" }),
    /** open | resolved */
    status: text("status").notNull(),
    openedAt: ts("opened_at").notNull().defaultNow(),
    resolvedAt: ts("resolved_at"),
    /** passed | deleted */
    resolution: text("resolution"),
  },
  (t) => [
    uniqueIndex("findings_open")
      .on(t.cluster, t.namespace, t.kind, t.name, t.policy)
      .where(sql`status = 'open'`),
    index("findings_status").on(t.status, t.policy),
  ],
);

/** Outgoing webhooks configured by an admin. The secret signs deliveries and is never returned again. */
export const webhooks = pgTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  events: jsonb("events").$type<string[]>().notNull(),
  secret: text("secret").notNull(),
  description: text("description"),
  createdAt: ts("created_at").notNull().defaultNow(),
  createdBy: text("created_by").notNull(),
});

/** One event to send to one webhook: queued with the finding, sent in the background with retries. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** pending | delivered | failed */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    claimedUntil: ts("claimed_until"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: ts("created_at").notNull().defaultNow(),
    deliveredAt: ts("delivered_at"),
  },
  (t) => [index("webhook_deliveries_due").on(t.status, t.nextAttemptAt)],
);

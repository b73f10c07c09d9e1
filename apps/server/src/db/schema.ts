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

export const policies = pgTable("policies", {
  name: text("name").primaryKey(),
  source: policySourceEnum("source").notNull(),
  version: integer("version").notNull(),
  etag: text("etag").notNull(),
  labels: jsonb("labels").$type<Record<string, string>>().notNull(),
  document: jsonb("document").$type<PolicyDocument>().notNull(),
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
    document: jsonb("document").$type<PolicyDocument>(),
  },
  (t) => [primaryKey({ columns: [t.name, t.version] })],
);

export const exceptions = pgTable("exceptions", {
  name: text("name").primaryKey(),
  version: integer("version").notNull(),
  etag: text("etag").notNull(),
  expires: ts("expires").notNull(),
  document: jsonb("document").$type<ExceptionDocument>().notNull(),
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
    /** name -> version of every policy in the set used. */
    policyVersions: jsonb("policy_versions").$type<Record<string, number>>().notNull(),
    decision: decisionEnum("decision").notNull(),
    summary: jsonb("summary").$type<EvaluationReport["summary"]>().notNull(),
    /** The report exactly as returned. */
    report: jsonb("report").$type<EvaluationReport>().notNull(),
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
    index("evaluations_resources").using("gin", t.resources),
    index("evaluations_images").using("gin", t.images),
    index("evaluations_policies").using("gin", t.policies),
    index("evaluations_context").using("gin", t.context),
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
    detail: jsonb("detail").$type<Record<string, unknown>>(),
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

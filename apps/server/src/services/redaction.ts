import { createHmac, randomBytes } from "node:crypto";
import { type ManifestFile, ManifestFileSchema } from "@celgate/contracts";
import {
  type EvaluationReport,
  type ImageFacts,
  type InputLimits,
  Redaction,
  type RedactionPath,
  type Resource,
} from "@celgate/core";
import { and, asc, eq, gt, inArray, lt, ne, sql } from "drizzle-orm";
import { type Db, LOCKS, tryAdvisoryXactLock } from "../db/client.js";
import { evaluations, inputs, settings } from "../db/schema.js";
import { canonicalJson } from "../lib/json.js";
import { withoutSecrets } from "../lib/secret-errors.js";
import { inputHashOf } from "./history-writer.js";

const KEY_SETTING = "redaction_key";
/** When the redaction migration ran (database time): inputs created before it may hold raw secrets. */
const CUTOFF_SETTING = "history_redaction_cutoff";
/** The last input hash the history redaction finished, or `done`. */
const CURSOR_SETTING = "history_redaction_cursor";
/** Hex digits of the HMAC kept in a marker: 128 bits, ample to tell values apart. */
const DIGEST_HEX = 32;

export interface RedactionConfig {
  /** Operator paths (CELGATE_REDACT_PATHS). */
  paths?: readonly RedactionPath[];
  /** CELGATE_REDACTION_KEY: the HMAC key; when unset, one is generated and kept in the database. */
  key?: string | undefined;
  /** The service's input limits, under which manifest text is parsed again. */
  limits?: InputLimits;
}

/** What an evaluation may keep: its inputs with secrets replaced, and its report with echoes masked. */
export interface RedactedEvaluation {
  manifests?: string | ManifestFile[];
  resources?: unknown[];
  report: EvaluationReport;
}

/**
 * The service's side of redaction (the rules are core's `Redaction`): the per-installation
 * HMAC key that makes markers (`celgate:redacted:hmac-sha256:<32 hex>`) comparable but not
 * guessable, and the one function every storing path calls before it writes.
 */
export class RedactionService {
  #key: Promise<Buffer> | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: RedactionConfig = {},
  ) {}

  /** The HMAC key: the configured one, else the installation's (made once, shared by replicas). */
  key(): Promise<Buffer> {
    this.#key ??= this.#loadKey().catch((err: unknown) => {
      this.#key = undefined; // a database hiccup must not stick
      throw err;
    });
    return this.#key;
  }

  async #loadKey(): Promise<Buffer> {
    if (this.config.key !== undefined) return Buffer.from(this.config.key, "utf8");
    const fresh = randomBytes(32).toString("base64url");
    // Replicas starting together: the first insert wins and every one reads the winner.
    await this.db
      .insert(settings)
      .values({ key: KEY_SETTING, value: fresh })
      .onConflictDoNothing()
      .catch((err: unknown) => {
        throw withoutSecrets(err); // its parameters hold the key
      });
    const [row] = await this.db
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, KEY_SETTING));
    const value = row?.value;
    if (!value) throw new Error("the redaction key could not be stored");
    return Buffer.from(value, "base64url");
  }

  /** A redaction pass keyed with the installation key. */
  async pass(): Promise<Redaction> {
    const key = await this.key();
    return new Redaction({
      digest: (value) =>
        `hmac-sha256:${createHmac("sha256", key).update(value).digest("hex").slice(0, DIGEST_HEX)}`,
      paths: this.config.paths ?? [],
      ...(this.config.limits ? { limits: this.config.limits } : {}),
    });
  }

  /**
   * A keyed hash of a request (for Idempotency-Key matching): a plain hash of a request whose
   * stored form is known minus its secrets would let a database reader guess them.
   */
  async requestHash(request: unknown): Promise<string> {
    return createHmac("sha256", await this.key())
      .update(canonicalJson(request))
      .digest("hex");
  }

  /**
   * Redacts an evaluation before it is stored or answered. With `store`: the manifests (text
   * re-serialised where a document holds a secret, file names and document order kept) or the
   * resource objects, as they may be kept; without, only the evaluated resources are scanned.
   * Either way the admission oldObject is scanned too (it is not stored) and every message of
   * the report that echoes a redacted value is masked.
   */
  async evaluation(
    input: { manifests?: string | ManifestFile[] | undefined; resources?: unknown[] | undefined },
    report: EvaluationReport,
    options: {
      resources: readonly Resource[];
      store: boolean;
      oldObject?: Record<string, unknown> | null | undefined;
    },
  ): Promise<RedactedEvaluation> {
    const { pass, ...stored } = await this.scan(input, options);
    return { ...stored, report: pass.maskReport(report) };
  }

  /**
   * evaluation() without the report: what may be stored, and the pass that masks the report's
   * echoes (`pass.count` 0: it saw no secret, so masking changes nothing).
   */
  async scan(
    input: { manifests?: string | ManifestFile[] | undefined; resources?: unknown[] | undefined },
    options: {
      resources: readonly Resource[];
      store: boolean;
      oldObject?: Record<string, unknown> | null | undefined;
    },
  ): Promise<Omit<RedactedEvaluation, "report"> & { pass: Redaction }> {
    const r = await this.pass();
    let stored: Omit<RedactedEvaluation, "report"> = {};
    if (!options.store) for (const res of options.resources) r.object(res.object);
    else if (typeof input.manifests === "string")
      stored = { manifests: r.manifests(input.manifests, "manifests", options.resources) };
    else if (input.manifests !== undefined)
      stored = {
        manifests: input.manifests.map((f) => ({
          ...f,
          text: r.manifests(
            f.text,
            f.file,
            options.resources.filter((x) => x.ref.source?.file === f.file),
          ),
        })),
      };
    else stored = { resources: r.objects(input.resources ?? []) };
    if (options.oldObject) r.object(options.oldObject);
    return { ...stored, pass: r };
  }

  /**
   * Redacts history recorded before redaction existed: every stored input created before the
   * migration that brought redaction is rewritten as a fresh recording would store it (redacted, under the
   * hash of its redacted form), the reports of its evaluations are masked and their plain
   * request hashes dropped. Runs in batches, each its own transaction under an advisory lock
   * (replicas do not run it twice at once), and resumes where it stopped. Returns how many
   * inputs it looked at; 0 once everything is done.
   */
  async redactHistory(options: { batch?: number } = {}): Promise<number> {
    // Small batches with a pause between them: on PGlite (one connection) requests interleave.
    const batch = options.batch ?? 10;
    let total = 0;
    for (;;) {
      const done = await this.db.transaction(async (tx) => {
        if (!(await tryAdvisoryXactLock(tx, LOCKS.historyRedaction))) return true; // another replica is at it
        const state = await tx
          .select()
          .from(settings)
          .where(inArray(settings.key, [CUTOFF_SETTING, CURSOR_SETTING]));
        const cutoff = state.find((r) => r.key === CUTOFF_SETTING)?.value;
        const cursor = state.find((r) => r.key === CURSOR_SETTING)?.value ?? "";
        if (cutoff === undefined || cursor === "done") return true;
        const rows = await tx
          .select()
          .from(inputs)
          .where(
            and(
              // database time as text, microseconds included: compared by the database
              lt(inputs.createdAt, sql`${cutoff}::timestamptz`),
              ne(inputs.kind, "images"),
              gt(inputs.hash, cursor),
            ),
          )
          .orderBy(asc(inputs.hash))
          .limit(batch);
        for (const row of rows) {
          const r = await this.pass();
          const oldHash = row.hash;
          const redacted = redactInput(r, row);
          const newHash = inputHashOf(redacted.text ?? redacted.json);
          const reports = await tx
            .select({ id: evaluations.id, report: evaluations.report })
            .from(evaluations)
            .where(eq(evaluations.inputHash, oldHash));
          for (const e of reports)
            await tx
              .update(evaluations)
              .set({ report: r.maskReport(e.report), requestHash: null })
              .where(eq(evaluations.id, e.id));
          const data = redacted.json === null ? null : sql`${redacted.json}::jsonb`;
          if (newHash === oldHash) {
            await tx.update(inputs).set({ text: redacted.text, data }).where(eq(inputs.hash, oldHash));
            continue;
          }
          await tx
            .insert(inputs)
            .values({ hash: newHash, kind: row.kind, text: redacted.text, data })
            .onConflictDoNothing();
          await tx.update(evaluations).set({ inputHash: newHash }).where(eq(evaluations.inputHash, oldHash));
          await tx.delete(inputs).where(eq(inputs.hash, oldHash));
        }
        total += rows.length;
        const next = rows.length < batch ? "done" : (rows.at(-1)?.hash ?? "done");
        await tx
          .insert(settings)
          .values({ key: CURSOR_SETTING, value: next })
          .onConflictDoUpdate({ target: settings.key, set: { value: next } });
        return next === "done";
      });
      if (done) return total;
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
  }
}

/**
 * Image facts as they may be stored: the userinfo of each reference (`user:pw@registry/app:1`)
 * left out of `ref`, `registry` and `repository`, as core's redaction does for `image` fields.
 */
export function redactFacts(r: Redaction, facts: readonly ImageFacts[]): ImageFacts[] {
  return facts.map((f) => {
    const ref = r.imageRef(f.ref);
    const registry = r.imageRef(f.registry);
    const repository = r.imageRef(f.repository);
    return ref === f.ref && registry === f.registry && repository === f.repository
      ? f
      : { ...f, ref, registry, repository };
  });
}

/**
 * A stored input as a fresh recording would store it: manifest text redacted (`text`), or its
 * files or resource objects redacted and serialised canonically (`json`).
 */
function redactInput(
  r: Redaction,
  row: typeof inputs.$inferSelect,
): { text: string; json: null } | { text: null; json: string } {
  if (row.kind === "manifests") return { text: r.manifests(row.text ?? "", "manifests"), json: null };
  if (row.kind === "manifest-files")
    return {
      text: null,
      json: canonicalJson(
        ManifestFileSchema.array()
          .parse(row.data ?? [])
          .map((f) => ({ ...f, text: r.manifests(f.text, f.file) })),
      ),
    };
  return { text: null, json: canonicalJson(r.objects(row.data ?? [])) };
}

import { createHmac, randomBytes } from "node:crypto";
import type { ManifestFile } from "@celgate/contracts";
import {
  canonicalJson,
  type EvaluationReport,
  Redaction,
  type RedactionPath,
  type Resource,
} from "@celgate/core";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";

const KEY_SETTING = "redaction_key";
/** Hex digits of the HMAC kept in a marker: 128 bits, ample to tell values apart. */
const DIGEST_HEX = 32;

export interface RedactionConfig {
  /** Operator paths (CELGATE_REDACT_PATHS). */
  paths?: readonly RedactionPath[];
  /** CELGATE_REDACTION_KEY: the HMAC key; when unset, one is generated and kept in the database. */
  key?: string | undefined;
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
    await this.db.insert(settings).values({ key: KEY_SETTING, value: fresh }).onConflictDoNothing();
    const rows = await this.db.execute(sql`select value from ${settings} where key = ${KEY_SETTING}`);
    const value = (rows as unknown as { rows: { value: string }[] }).rows[0]?.value;
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
    const r = await this.pass();
    let stored: Omit<RedactedEvaluation, "report"> = {};
    if (!options.store) for (const res of options.resources) r.object(res.object);
    else if (typeof input.manifests === "string")
      stored = { manifests: r.manifests(input.manifests, "manifests") };
    else if (input.manifests !== undefined)
      stored = { manifests: input.manifests.map((f) => ({ ...f, text: r.manifests(f.text, f.file) })) };
    else stored = { resources: r.objects(input.resources ?? []) };
    if (options.oldObject) r.object(options.oldObject);
    return { ...stored, report: r.maskReport(report) };
  }
}

import { createHmac, randomBytes } from "node:crypto";
import type { ManifestFile } from "@celgate/contracts";
import {
  canonicalJson,
  type EvaluationReport,
  type InputLimits,
  Redaction,
  type RedactionPath,
  type Resource,
} from "@celgate/core";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";
import { inputHashOf } from "./evaluations.js";

const KEY_SETTING = "redaction_key";
/** When the redaction migration ran (database time): inputs created before it may hold raw secrets. */
const CUTOFF_SETTING = "history_redaction_cutoff";
/** The last input hash the history redaction finished, or `done`. */
const CURSOR_SETTING = "history_redaction_cursor";
const HISTORY_LOCK = 4_227_303;
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
    await this.db.insert(settings).values({ key: KEY_SETTING, value: fresh }).onConflictDoNothing();
    const rows = rowsOf(await this.db.execute(sql`select value from ${settings} where key = ${KEY_SETTING}`));
    const value = rows[0]?.value as string | undefined;
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
    return { ...stored, report: r.maskReport(report) };
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
        const locked = rowsOf(await tx.execute(sql`select pg_try_advisory_xact_lock(${HISTORY_LOCK}) as ok`));
        if (locked[0]?.ok !== true) return true; // another replica is at it
        const state = rowsOf(
          await tx.execute(
            sql`select key, value from ${settings} where key in (${CUTOFF_SETTING}, ${CURSOR_SETTING})`,
          ),
        );
        const cutoff = state.find((r) => r.key === CUTOFF_SETTING)?.value as string | undefined;
        const cursor = (state.find((r) => r.key === CURSOR_SETTING)?.value as string | undefined) ?? "";
        if (cutoff === undefined || cursor === "done") return true;
        const rows = rowsOf(
          await tx.execute(sql`
            select hash, kind, text, data from inputs
            where created_at < ${cutoff}::timestamptz and kind <> 'images' and hash > ${cursor}
            order by hash limit ${batch}`),
        );
        for (const row of rows) {
          const r = await this.pass();
          const oldHash = row.hash as string;
          let text: string | null = null;
          let data: string | null = null;
          if (row.kind === "manifests") text = r.manifests(row.text as string, "manifests");
          else if (row.kind === "manifest-files")
            data = canonicalJson(
              (row.data as ManifestFile[]).map((f) => ({ ...f, text: r.manifests(f.text, f.file) })),
            );
          else data = canonicalJson(r.objects(row.data as unknown[]));
          const newHash = inputHashOf(text ?? data!);
          const reports = rowsOf(
            await tx.execute(sql`select id, report from evaluations where input_hash = ${oldHash}`),
          );
          for (const e of reports)
            await tx.execute(sql`
              update evaluations set report = ${JSON.stringify(r.maskReport(e.report as EvaluationReport))}::jsonb,
                request_hash = null
              where id = ${e.id as string}`);
          if (newHash === oldHash) {
            await tx.execute(
              sql`update inputs set text = ${text}, data = ${data}::jsonb where hash = ${oldHash}`,
            );
            continue;
          }
          await tx.execute(sql`
            insert into inputs (hash, kind, text, data)
            values (${newHash}, ${row.kind as string}, ${text}, ${data}::jsonb)
            on conflict do nothing`);
          await tx.execute(sql`update evaluations set input_hash = ${newHash} where input_hash = ${oldHash}`);
          await tx.execute(sql`delete from inputs where hash = ${oldHash}`);
        }
        total += rows.length;
        const next = rows.length < batch ? "done" : (rows.at(-1)!.hash as string);
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

/** The rows of a db.execute() result: node-postgres and PGlite both answer `{rows}`. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}
